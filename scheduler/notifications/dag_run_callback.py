"""Run one DAG callback, in a process of its own: ``python -m
scheduler.notifications.dag_run_callback DAG_ID RUN_ID CALLBACK FILELOC``.

The scheduler never imports DAG files, so when a run finishes and its DAG sets
``on_success_callback`` / ``on_failure_callback``, it starts this process
(``engine/dag_callbacks.py``), as Airflow 3 has its DAG processor run them. It imports the
DAG file, builds Airflow's DAG callback context from the database (``dag``, ``dag_run``,
``run_id``, ``logical_date``, ``ds``, ``reason``; on failure ``ti``, the first failed
task instance), and calls each callback; its output is the callback's log. An error in one
callback is logged and the others still run; the exit status is 1 if any failed.
"""

from __future__ import annotations

import logging
import sys
import traceback
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from scheduler.plugins.import_path import put_plugins_on_path
from scheduler.runner.context import ContextDateTime
from scheduler.runner.dag_cache import load_file
from scheduler.settings import Settings
from scheduler.store.db import make_engine, transaction
from scheduler.store.models import DagRunRow, TaskInstanceRow
from scheduler.store.runs import get_run, list_task_instances

REASONS = {
    "on_success_callback": "success",
    "on_failure_callback": "task_failure",
    "on_longer_than_usual_callback": "longer_than_usual",  # notifications/timing_callback.py
}


@dataclass(frozen=True)
class DagRunState:
    """``context["dag_run"]`` in a DAG callback: the finished run."""

    dag_id: str
    run_id: str
    run_type: str
    state: str
    logical_date: datetime
    data_interval_start: datetime
    data_interval_end: datetime
    start_date: datetime | None
    end_date: datetime | None
    conf: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FinishedTaskInstance:
    """``context["ti"]`` in a DAG failure callback: the task instance that failed."""

    dag_id: str
    run_id: str
    task_id: str
    map_index: int
    state: str
    try_number: int
    error: str | None


def build_context(
    dag: Any, run: DagRunRow, instances: list[TaskInstanceRow], callback: str
) -> dict[str, Any]:
    logical_date = ContextDateTime.of(run.logical_date)
    context: dict[str, Any] = {
        "dag": dag,
        "dag_run": DagRunState(
            run.dag_id,
            run.run_id,
            run.run_type,
            run.state,
            logical_date,
            ContextDateTime.of(run.data_interval_start),
            ContextDateTime.of(run.data_interval_end),
            run.start_date,
            run.end_date,
            dict(run.conf or {}),
        ),
        "run_id": run.run_id,
        "logical_date": logical_date,
        "ds": logical_date.strftime("%Y-%m-%d"),
        "ts": logical_date.isoformat(),
        "params": dict(getattr(dag, "params", {}) or {}),
        "reason": REASONS[callback],
    }
    failed = [ti for ti in instances if ti.state == "failed"]
    if callback == "on_failure_callback" and failed:
        first = min(failed, key=lambda ti: ti.end_date or run.end_date or run.logical_date)
        ti = FinishedTaskInstance(
            first.dag_id,
            first.run_id,
            first.task_id,
            first.map_index,
            first.state,
            first.try_number,
            first.error,
        )
        context["ti"] = context["task_instance"] = ti
        if first.error:
            context["exception"] = first.error
    return context


def run(dag_id: str, run_id: str, callback: str, fileloc: str) -> int:
    settings = Settings.from_env()
    put_plugins_on_path(settings)
    engine = make_engine(settings.database_url, write=False)
    with transaction(engine) as session:
        run_row = get_run(session, dag_id, run_id)
        instances = list_task_instances(session, dag_id, run_id)
    result = load_file(fileloc)
    dag = result.dags.get(dag_id)
    if dag is None:
        print(f"DAG '{dag_id}' is no longer in {fileloc}; its {callback} cannot run", flush=True)
        return 1
    context = build_context(dag, run_row, instances, callback)
    callbacks = getattr(dag, callback, None) or []
    failures = 0
    for fn in callbacks if isinstance(callbacks, list | tuple) else [callbacks]:
        print(f"calling {callback} {fn!r} of DAG '{dag_id}', run '{run_id}'", flush=True)
        try:
            fn(context)
        except BaseException:  # the run's state stands whatever a callback does
            failures += 1
            traceback.print_exc()
    return 1 if failures else 0


def main() -> None:
    logging.basicConfig(
        level=logging.INFO, format="[%(asctime)s] %(levelname)s %(name)s: %(message)s"
    )
    dag_id, run_id, callback, fileloc = sys.argv[1:5]
    sys.exit(run(dag_id, run_id, callback, fileloc))


if __name__ == "__main__":
    main()
