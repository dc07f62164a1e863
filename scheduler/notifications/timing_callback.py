"""Run one timing callback in a process of its own (the scheduler never imports DAG files):

- ``python -m scheduler.notifications.timing_callback deadline DEADLINE_ID``: the
  ``DeadlineAlert`` callback of a run that missed its deadline (``engine/deadlines.py``).
  As in Airflow, the callback gets its ``kwargs`` plus ``context``: ``dag_run`` (the run as
  the REST API returns it) and ``deadline`` (``id``, ``deadline_time``, ``name``); Baton
  adds ``dag``, ``run_id``, ``logical_date`` and ``run_url`` so notifiers' templates and
  links work as in other callbacks.
- ``... long_try DAG_ID RUN_ID TASK_ID MAP_INDEX TRY_NUMBER``: the task's
  ``on_longer_than_usual_callback`` (Baton's), called like a task callback with the
  context of a DAG callback plus ``ti``/``task_instance`` (state ``running``), ``task``,
  ``usual_duration`` (the p95 it ran past) and ``running_for`` (seconds so far).

Its output is the callback's log; it records the outcome (``callback_state``) itself, and
exits 1 if the callback raised.
"""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from scheduler.masking import redact
from scheduler.notifications.dag_run_callback import FinishedTaskInstance, build_context
from scheduler.notifications.links import run_url
from scheduler.plugins.import_path import put_plugins_on_path
from scheduler.run_payload import dag_run_payload
from scheduler.runner.dag_cache import load_file
from scheduler.settings import Settings
from scheduler.store.db import make_engine, transaction
from scheduler.store.deadlines import get_deadline, set_callback_state
from scheduler.store.models import dag_table
from scheduler.store.runs import get_run, get_task_instance
from scheduler.store.task_history import long_tries, set_long_try_callback


def deadline_call(deadline_id: int) -> tuple[str, str, Callable[[dict[str, Any]], Any], Any]:
    settings = Settings.from_env()
    engine = make_engine(settings.database_url, write=False)
    with transaction(engine) as session:
        deadline = get_deadline(session, deadline_id)
        run = get_run(session, deadline["dag_id"], deadline["run_id"])
        fileloc = _fileloc(session, run.dag_id)
    dag = _dag(fileloc, run.dag_id)
    alerts = dag.deadline
    if deadline["alert_index"] >= len(alerts):
        raise SystemExit(
            f"DAG '{run.dag_id}' no longer has deadline alert {deadline['alert_index']}; "
            "its callback cannot run"
        )
    alert = alerts[deadline["alert_index"]]
    context = {
        "dag_run": {**dag_run_payload(run), "run_id": run.run_id},
        "deadline": {
            "id": deadline_id,
            "deadline_time": deadline["deadline_time"].astimezone(UTC).isoformat(),
            "name": deadline["name"],
        },
        "dag": dag,
        "run_id": run.run_id,
        "logical_date": run.logical_date,
        "run_url": run_url(run.dag_id, run.run_id, settings),
    }
    return f"deadline alert {deadline['alert_index']}", run.run_id, alert.callback.call, context


def long_try_call(
    dag_id: str, run_id: str, task_id: str, map_index: int, try_number: int
) -> tuple[str, str, Callable[[dict[str, Any]], Any], Any]:
    settings = Settings.from_env()
    engine = make_engine(settings.database_url, write=False)
    with transaction(engine) as session:
        run = get_run(session, dag_id, run_id)
        ti = get_task_instance(session, dag_id, run_id, task_id, map_index)
        flag = long_tries(session, dag_id, run_id)[(dag_id, run_id, task_id, map_index, try_number)]
        fileloc = _fileloc(session, dag_id)
    dag = _dag(fileloc, dag_id)
    task = dag.task_dict[task_id]
    context = build_context(dag, run, [], "on_longer_than_usual_callback")
    context["ti"] = context["task_instance"] = FinishedTaskInstance(
        dag_id, run_id, task_id, map_index, "running", try_number, None
    )
    context["task"] = task
    context["usual_duration"] = flag["usual_s"]
    started = ti.start_date or flag["flagged_at"]
    context["running_for"] = (datetime.now(UTC) - started).total_seconds()
    return (
        "on_longer_than_usual_callback",
        run_id,
        _each(task.on_longer_than_usual_callback),
        context,
    )


def _each(callbacks: Any) -> Callable[[dict[str, Any]], None]:
    """One callable calling each of a callback list (Airflow accepts a list)."""
    items = callbacks if isinstance(callbacks, list | tuple) else [callbacks]

    def call_all(context: dict[str, Any]) -> None:
        for fn in items:
            fn(context)

    return call_all


def _fileloc(session: Any, dag_id: str) -> str:
    return session.execute(
        select(dag_table.c.fileloc).where(dag_table.c.dag_id == dag_id)
    ).scalar_one()


def _dag(fileloc: str, dag_id: str) -> Any:
    dag = load_file(fileloc).dags.get(dag_id)
    if dag is None:
        raise SystemExit(f"DAG '{dag_id}' is no longer in {fileloc}; its callback cannot run")
    return dag


def main() -> None:
    logging.basicConfig(
        level=logging.INFO, format="[%(asctime)s] %(levelname)s %(name)s: %(message)s"
    )
    settings = Settings.from_env()
    put_plugins_on_path(settings)
    kind, *args = sys.argv[1:]
    if kind == "deadline":
        what, run_id, call, context = deadline_call(int(args[0]))
    elif kind == "long_try":
        dag_id, run_id, task_id, map_index, try_number = args
        what, run_id, call, context = long_try_call(
            dag_id, run_id, task_id, int(map_index), int(try_number)
        )
    else:
        raise SystemExit(f"unknown timing callback {kind!r}: use deadline or long_try")
    print(
        f"calling the {what} callback of DAG '{context['dag'].dag_id}', run '{run_id}'", flush=True
    )
    error = None
    try:
        call(context)
    except BaseException as exc:  # the run goes on whatever a callback does
        traceback.print_exc()
        error = f"{type(exc).__name__}: {exc}"
    # Recorded here too, not only by the scheduler that started this process: a scheduler
    # killed meanwhile would leave the outcome unknown.
    _record(settings, kind, args, error)
    sys.exit(1 if error else 0)


def _record(settings: Settings, kind: str, args: list[str], error: str | None) -> None:
    state = "failed" if error else "success"
    with transaction(make_engine(settings.database_url)) as session:
        if kind == "deadline":
            set_callback_state(session, int(args[0]), state, error=redact(error or "") or None)
        else:
            dag_id, run_id, task_id, map_index, try_number = args
            key = (dag_id, run_id, task_id, int(map_index), int(try_number))
            set_long_try_callback(session, key, state, error=redact(error or "") or None)


if __name__ == "__main__":
    main()
