"""Compensation phases in a real SQLite Store: validated, logged, recovered, reloaded."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert

from scheduler.engine.live import LiveRun
from scheduler.engine.recovery import fail_orphaned_tries
from scheduler.errors import IllegalTransitionError
from scheduler.planner import TaskView
from scheduler.spec import DagSpec, TaskSpec
from scheduler.states import TaskState
from scheduler.store import runs as run_store
from scheduler.store.compensations import COMPENSATE, CompensationChange, change_compensations
from scheduler.store.db import make_engine, transaction
from scheduler.store.events import list_events
from scheduler.store.migrate import migrate
from scheduler.store.models import task_try_table
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


def test_a_lost_compensation_try_is_retried_then_fails_the_compensation(db) -> None:
    reason = "the worker running this try was lost"
    for number, expected in ((1, "compensating"), (2, "compensation_failed")):
        with transaction(db) as session:
            if number == 2:
                change_compensations(
                    session, [phase(T.UP_FOR_RETRY, T.SCHEDULED)], source=SRC, now=NOW
                )
            queue_try(session, number)
            lost = fail_orphaned_tries(
                session, alive_job_ids=set(), specs={"saga": SPEC}, reason=reason,
                source=SRC, now=NOW,
            )  # fmt: skip
            assert lost == 1
        with transaction(db) as session:
            ti = run_store.get_task_instance(session, "saga", "r1", "a")
            assert ti.state == expected
            tries = run_store.list_tries(session, "saga", "r1", "a", COMPENSATE)
            assert tries[-1].state == "failed" and tries[-1].error == reason
    with transaction(db) as session:
        events = list_events(session, run_id="r1", event="compensation_state")
    assert [(e.old_state, e.new_state) for e in events if e.new_state == "up_for_retry"] == [
        ("queued", "up_for_retry")
    ]


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
