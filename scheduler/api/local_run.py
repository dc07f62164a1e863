"""``baton dags test``: one whole run, in this process, through the real Engine code.

The DAG file is imported here (not in a child), the run is recorded in the database with
``run_type="test"`` (the scheduler daemon leaves such runs alone), and the tries execute one
by one on the inline executor. Retry delays are honoured by waiting.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from scheduler.authoring import serialize_dag
from scheduler.clock import utcnow
from scheduler.engine.driver import RunDriver
from scheduler.engine.scheduling import create_manual_run
from scheduler.errors import BatonError, DagNotFoundError
from scheduler.executor import ExecutorEvent
from scheduler.executors.inline import InlineExecutor
from scheduler.json_limits import JsonLimits
from scheduler.loader import import_dag_file, load_dag_specs
from scheduler.plugins.import_path import put_plugins_on_path
from scheduler.settings import Settings
from scheduler.spec import DagSpec
from scheduler.states import FINISHED_RUN_STATES, RunState
from scheduler.store import dags as dag_store
from scheduler.store import runs as run_store
from scheduler.store.db import transaction
from scheduler.store.events import process_source
from scheduler.store.transitions import change_run_state
from scheduler.store.xcom import xcom_reader_for
from scheduler.triggerer.inline import run_triggers_inline


@dataclass
class TaskReport:
    state: str
    tries: int
    duration_s: float | None
    #: For a task that ended ``failed``: its last failed try and that try's error.
    failed_try: int | None = None
    error: str | None = None


@dataclass
class RunReport:
    dag_id: str
    run_id: str
    state: str
    tasks: dict[str, TaskReport] = field(default_factory=dict)

    @property
    def failures(self) -> list[tuple[str, TaskReport]]:
        """The tasks that ended ``failed``, with their error, in the run's task order."""
        return [(task_id, t) for task_id, t in self.tasks.items() if t.state == "failed"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "dag_id": self.dag_id,
            "run_id": self.run_id,
            "state": self.state,
            "tasks": {k: v.__dict__ for k, v in self.tasks.items()},
        }


def find_dag_spec(settings: Settings, db: Engine, dag_id: str) -> DagSpec:
    """Import the DAG's file in this process and return its fresh spec."""
    put_plugins_on_path(settings)  # the file and its tasks may import plugin modules
    fileloc = None
    # Not parsed yet (no scheduler ran): search the folder instead.
    with transaction(db) as session, contextlib.suppress(DagNotFoundError):
        fileloc = dag_store.get_dag(session, dag_id).fileloc
    if fileloc is None:
        specs, _errors = load_dag_specs(
            settings.dags_folder,
            timeout=settings.dag_file_import_timeout,
            parallelism=settings.parallelism,
        )
        if dag_id not in specs:
            raise DagNotFoundError(
                f"no DAG '{dag_id}' in {settings.dags_folder}; check the dag_id, or run "
                "`baton dags errors` if its file fails to import"
            )
        fileloc = specs[dag_id].fileloc
    result = import_dag_file(fileloc)
    if dag_id not in result.dags:
        detail = "; ".join(f"line {e.lineno}: {e.message}" for e in result.errors)
        raise BatonError(
            f"{fileloc} does not declare DAG '{dag_id}'" + (f" ({detail})" if detail else "")
        )
    return serialize_dag(result.dags[dag_id])


def run_dag_in_process(
    settings: Settings,
    db: Engine,
    dag_id: str,
    *,
    conf: dict[str, Any] | None = None,
    logical_date: datetime | None = None,
    on_task_done: Any = None,
) -> RunReport:
    spec = find_dag_spec(settings, db, dag_id)
    source = process_source("dags-test")
    driver = RunDriver(
        logs_folder=settings.logs_folder,
        database_url=settings.database_url,
        source=source,
        max_map_length=settings.max_map_length,
    )
    executor = InlineExecutor(xcom_reader_for)
    executor.start()
    now = utcnow()
    with transaction(db) as session:
        row = create_manual_run(
            session,
            spec,
            conf=conf,
            run_id=None,
            logical_date=logical_date,
            source=source,
            now=now,
            run_type="test",
            conf_limits=JsonLimits.from_settings(settings),
        )
        driver.adopt_runs(session, [row], {dag_id: spec})
        driver.start_run(session, driver.live.runs[(dag_id, row.run_id)], now)
    try:
        _drive(db, driver, executor, on_task_done)
    finally:
        executor.shutdown()
        _abandon(db, driver, source)
    return _report(db, dag_id, row.run_id)


def _abandon(db: Engine, driver: RunDriver, source: str) -> None:
    """A test interrupted (Ctrl-C, a stuck run) must not leave its run 'running' forever."""
    for run in list(driver.live.runs.values()):
        with transaction(db) as session:
            change_run_state(
                session,
                run.dag_id,
                run.run_id,
                run.state,
                _interrupted_state(run.state),
                source=source,
                now=utcnow(),
                values={"end_date": utcnow()},
                detail="baton dags test was interrupted",
            )
        driver.live.remove(run)


def _interrupted_state(state: RunState) -> RunState:
    """A compensating run cannot be ``failed``: it stops compensating, unfinished."""
    return RunState.COMPENSATION_FAILED if state == RunState.COMPENSATING else RunState.FAILED


def _drive(db: Engine, driver: RunDriver, executor: InlineExecutor, on_task_done: Any) -> None:
    events: list[ExecutorEvent] = []
    while driver.live.runs:
        now = utcnow()
        with transaction(db) as session:
            driver.apply_events(session, events, now)
            driver.plan(session, now)
            requests = driver.dispatch(session, executor.free_slots, now)
        events = []
        for request in requests:
            executor.submit(request)
            events += executor.collect()
            if on_task_done:
                label = request.task_id
                if request.map_index >= 0:
                    label += f"[{request.map_index}]"
                if request.compensation:
                    label += " (compensation)"
                on_task_done(label, events[-1])
        if not requests and not events and driver.live.runs:
            if run_triggers_inline(db, driver.live, driver.source):
                continue  # a deferred task resumed (its trigger ran in this process)
            wakeup = driver.next_wakeup()
            if wakeup is None:
                raise BatonError("the test run is stuck: no task can run and none is waiting")
            time.sleep(max(0.0, min(5.0, (wakeup - utcnow()).total_seconds())))


def _report(db: Engine, dag_id: str, run_id: str) -> RunReport:
    with transaction(db) as session:
        run = run_store.get_run(session, dag_id, run_id)
        tis = run_store.list_task_instances(session, dag_id, run_id)
        assert run.state in FINISHED_RUN_STATES
        report = RunReport(dag_id, run_id, run.state)
        for ti in tis:
            label = ti.task_id if ti.map_index < 0 else f"{ti.task_id}[{ti.map_index}]"
            task = report.tasks[label] = TaskReport(ti.state, ti.try_number, ti.duration)
            if ti.state == "failed":
                tries = run_store.list_tries(
                    session, dag_id, run_id, ti.task_id, map_index=ti.map_index
                )
                last = next((t for t in reversed(tries) if t.error), None)
                if last is not None:
                    task.failed_try, task.error = last.try_number, last.error
    return report
