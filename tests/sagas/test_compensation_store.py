"""Compensation phases in a real SQLite Store: validated, logged, recovered, reloaded."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert

from scheduler.engine.driver import RunDriver
from scheduler.engine.live import LiveRun
from scheduler.engine.recovery import Recovered, recover_orphaned_tries
from scheduler.errors import IllegalTransitionError
from scheduler.executors.inline import InlineExecutor
from scheduler.planner import TaskView
from scheduler.spec import DagSpec, TaskSpec
from scheduler.states import TaskState
from scheduler.store import runs as run_store
from scheduler.store.compensations import COMPENSATE, CompensationChange, change_compensations
from scheduler.store.db import make_engine, transaction
from scheduler.store.events import list_events
from scheduler.store.migrate import migrate
from scheduler.store.models import dag_table, task_try_table
from scheduler.store.runs import NewRun
from scheduler.store.transitions import TaskChange, change_task_states

T = TaskState
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
UNDO = TaskSpec("a", "callable:undo", retries=1, retry_delay_s=30.0)
SPEC = DagSpec(
    dag_id="saga",
    fileloc="/dags/saga.py",
    tasks={"a": TaskSpec("a", "PythonOperator", has_compensation=True, compensation=UNDO)},
)
SRC = "test"


@pytest.fixture
def db(tmp_path: Path):
    engine = make_engine(f"sqlite:///{tmp_path / 'baton.db'}")
    migrate(engine)
    with transaction(engine) as session:
        run_store.create_run(
            session, SPEC, NewRun("r1", "manual", NOW, NOW, NOW, {}), source=SRC, now=NOW
        )
        path = [T.NONE, T.SCHEDULED, T.QUEUED, T.RUNNING, T.SUCCESS]
        for old, new in itertools.pairwise(path):
            change = TaskChange("saga", "r1", "a", old, new, 1, values={"try_number": 1})
            change_task_states(session, [change], source=SRC, now=NOW)
        start = TaskChange(
            "saga",
            "r1",
            "a",
            T.SUCCESS,
            T.COMPENSATING,
            1,
            values={"compensation_state": "scheduled"},
        )
        change_task_states(session, [start], source=SRC, now=NOW)
    return engine


def phase(old: TaskState, new: TaskState, number: int = 1, **values) -> CompensationChange:
    return CompensationChange("saga", "r1", "a", old, new, number, values=values)


def queue_try(session, number: int = 1) -> None:
    row = {"dag_id": "saga", "run_id": "r1", "task_id": "a", "try_number": number}
    session.execute(insert(task_try_table).values(kind=COMPENSATE, state=T.QUEUED, **row))
    change_compensations(
        session,
        [phase(T.SCHEDULED, T.QUEUED, number, compensation_try_number=number)],
        source=SRC,
        now=NOW,
    )


def test_phases_are_stored_beside_the_task_and_logged(db) -> None:
    with transaction(db) as session:
        queue_try(session)
        change_compensations(session, [phase(T.QUEUED, T.RUNNING)], source=SRC, now=NOW)
        done = TaskChange(
            "saga", "r1", "a", T.COMPENSATING, T.COMPENSATED, 1,
            values={"compensation_state": "success"},
            try_values={"state": T.SUCCESS},
            try_kind=COMPENSATE,
        )  # fmt: skip
        change_task_states(session, [done], source=SRC, now=NOW)
    with transaction(db) as session:
        ti = run_store.get_task_instance(session, "saga", "r1", "a")
        assert (ti.state, ti.compensation_state, ti.compensation_try_number) == (
            "compensated",
            "success",
            1,
        )
        assert [t.state for t in run_store.list_tries(session, "saga", "r1", "a", COMPENSATE)] == [
            "success"
        ]
        assert run_store.list_tries(session, "saga", "r1", "a") == []  # the task's own kind
        logged = [(e.event, e.old_state, e.new_state) for e in list_events(session, run_id="r1")]
    assert logged[:4] == [
        ("task_state", "compensating", "compensated"),
        ("compensation_state", "queued", "running"),
        ("compensation_state", "scheduled", "queued"),
        ("task_state", "success", "compensating"),
    ]


def test_illegal_or_stale_phase_changes_are_refused(db) -> None:
    illegal = "cannot go from scheduled to running"
    with pytest.raises(IllegalTransitionError, match=illegal), transaction(db) as session:
        change_compensations(session, [phase(T.SCHEDULED, T.RUNNING)], source=SRC, now=NOW)
    stale = "no longer 'queued'"
    with pytest.raises(IllegalTransitionError, match=stale), transaction(db) as session:
        change_compensations(session, [phase(T.QUEUED, T.RUNNING)], source=SRC, now=NOW)


def test_a_lost_compensation_try_runs_again_without_using_its_retries(db) -> None:
    """A compensation try its scheduler left in flight (the scheduler is gone) is re-run
    at once as lost, up to the limit; past it, the loss counts like a failure (retries=1:
    one more try, then compensation_failed)."""
    with transaction(db) as session:
        session.execute(
            insert(dag_table).values(
                dag_id="saga", fileloc="/dags/saga.py", spec=SPEC.to_dict(), created_at=NOW,
                scheduler_job_id=1,
            )
        )  # fmt: skip
    driver = RunDriver(
        logs_folder=Path("/nonexistent"), database_url="", source=SRC, job_id=1, lost_try_limit=1
    )
    executor = InlineExecutor()  # adopts nothing: its workers die with their scheduler
    expected = [("compensating", "up_for_retry"), ("compensating", "up_for_retry")]
    expected.append(("compensation_failed", "failed"))
    for number, (state, phase_state) in enumerate(expected, start=1):
        with transaction(db) as session:
            if number > 1:
                change_compensations(
                    session, [phase(T.UP_FOR_RETRY, T.SCHEDULED, number - 1)], source=SRC, now=NOW
                )
            queue_try(session, number)
        driver.live.clear()
        with transaction(db) as session:
            rows = run_store.active_runs(session, owner=1)
            driver.adopt_runs(session, rows, {"saga": SPEC})
            recovered = recover_orphaned_tries(session, driver, executor, 1, NOW)
            assert recovered == Recovered(adopted=0, lost=1)
        with transaction(db) as session:
            ti = run_store.get_task_instance(session, "saga", "r1", "a")
            assert (ti.state, ti.compensation_state) == (state, phase_state), number
            tries = run_store.list_tries(session, "saga", "r1", "a", COMPENSATE)
            assert tries[-1].state == "failed" and "scheduler job" in tries[-1].error
    with transaction(db) as session:
        ti = run_store.get_task_instance(session, "saga", "r1", "a")
    assert (ti.lost_count, ti.compensation_retry_base) == (1, 1)


def test_the_mirror_reloads_a_compensation_in_progress(db) -> None:
    with transaction(db) as session:
        queue_try(session)
        change_compensations(session, [phase(T.QUEUED, T.RUNNING)], source=SRC, now=NOW)
        retry_at = NOW + timedelta(seconds=30)
        change_compensations(
            session, [phase(T.RUNNING, T.UP_FOR_RETRY, next_retry_at=retry_at)], source=SRC, now=NOW
        )
        run = run_store.get_run(session, "saga", "r1")
        tis = run_store.task_instances_of_runs(session, [run.id])
    live = LiveRun.from_rows(run, SPEC, tis)
    assert live.tasks[("a", -1)].state == T.COMPENSATING
    assert live.compensations["a"] == TaskView(T.UP_FOR_RETRY, 1, retry_at)
    assert live.compensation_base["a"] == 0
    assert live.in_flight() == []
