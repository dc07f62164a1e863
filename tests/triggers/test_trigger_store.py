"""Triggers in the database on SQLite and PostgreSQL: claims (capacity, no double claim,
re-claim from a dead triggerer), firing (deferred → scheduled with the event, the trigger
gone), timeouts and unused triggers."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select

from scheduler.deferral import Deferral
from scheduler.spec import DagSpec, TaskSpec
from scheduler.states import TaskState
from scheduler.store import runs as run_store
from scheduler.store import triggers as store
from scheduler.store.db import make_engine, transaction
from scheduler.store.events import list_events
from scheduler.store.models import dag_run_table, task_instance_table
from scheduler.store.models_triggers import trigger_table
from scheduler.store.runs import NewRun
from scheduler.store.transitions import TaskChange, change_task_states

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
STALE = timedelta(seconds=10)
SPEC = DagSpec(
    dag_id="waits",
    fileloc="/dags/waits.py",
    tasks={t: TaskSpec(t, "Sensor") for t in ("a", "b")},
)
WALK = [
    (TaskState.NONE, TaskState.SCHEDULED),
    (TaskState.SCHEDULED, TaskState.QUEUED),
    (TaskState.QUEUED, TaskState.RUNNING),
]


def _deferral(seconds: float = 60) -> Deferral:
    moment = {"__baton_type": "datetime", "value": (NOW + timedelta(seconds=seconds)).isoformat()}
    return Deferral(
        "scheduler.triggers.temporal.DateTimeTrigger",
        {"moment": moment, "end_from_trigger": False},
        "resume",
        {"n": 1},
        NOW + timedelta(seconds=seconds),
    )


def _defer(db: Engine, task_id: str, deferral: Deferral) -> int:
    """Walk ``task_id`` to deferred as the Engine does, its trigger stored beside it."""
    with transaction(db) as session:
        if not session.execute(select(dag_run_table.c.id)).first():
            new = NewRun("r1", "manual", NOW, NOW, NOW, {})
            run_store.create_run(session, SPEC, new, source="test", now=NOW)
        for old, new_state in WALK:
            values = {"try_number": 1} if new_state == TaskState.QUEUED else {}
            change = TaskChange("waits", "r1", task_id, old, new_state, 1, values=values)
            change_task_states(session, [change], source="test", now=NOW)
        trigger_id = store.create_trigger(session, deferral, NOW)
        values = {
            "trigger_id": trigger_id,
            "next_method": deferral.method_name,
            "next_kwargs": deferral.method_kwargs,
            "trigger_timeout": deferral.timeout_at,
        }
        change = TaskChange(
            "waits", "r1", task_id, TaskState.RUNNING, TaskState.DEFERRED, 1, values=values
        )
        change_task_states(session, [change], source="test", now=NOW)
    return trigger_id


def _ti(db: Engine, task_id: str):
    with transaction(db) as session:
        t = task_instance_table
        return session.execute(select(t).where(t.c.task_id == task_id)).one()


def test_firing_resumes_the_task_with_the_event_in_one_transaction(db: Engine) -> None:
    trigger_id = _defer(db, "a", _deferral())
    with transaction(db) as session:
        version = session.execute(select(dag_run_table.c.version)).scalar_one()
        resumed = store.fire_trigger(
            session, trigger_id, NOW + timedelta(seconds=60), source="triggerer:1", now=NOW
        )
    assert resumed == 1
    ti = _ti(db, "a")
    assert ti.state == TaskState.SCHEDULED and ti.trigger_id is None and ti.try_number == 1
    assert ti.next_method == "resume"
    event = {"__baton_type": "datetime", "value": (NOW + timedelta(seconds=60)).isoformat()}
    assert ti.next_kwargs == {"n": 1, "event": event}
    with transaction(db) as session:
        # No reload of the run: the poked scheduler adopts the resumed row itself.
        assert session.execute(select(dag_run_table.c.version)).scalar_one() == version
        assert session.execute(select(trigger_table)).all() == []
        last = list_events(session, dag_id="waits")[0]
    assert (last.old_state, last.new_state, last.source) == ("deferred", "scheduled", "triggerer:1")


def test_claims_respect_capacity_and_a_dead_triggerers_triggers_are_taken_over(
    db: Engine,
) -> None:
    ids = [_defer(db, "a", _deferral()), _defer(db, "b", _deferral())]
    with transaction(db) as session:
        first = store.start_triggerer(session, "h", 1, capacity=1, now=NOW)
        second = store.start_triggerer(session, "h", 2, capacity=10, now=NOW)
        assert store.claim_triggers(session, first, 1, NOW, STALE) == [ids[0]]
        assert store.claim_triggers(session, first, 1, NOW, STALE) == []  # at capacity
        assert store.claim_triggers(session, second, 10, NOW, STALE) == [ids[1]]
    later = NOW + timedelta(seconds=30)  # first stopped heartbeating (kill -9)
    with transaction(db) as session:
        store.heartbeat(session, second, later)
        assert store.claim_triggers(session, second, 10, later, STALE) == [ids[0]]
        assert sorted(t.id for t in store.triggers_of(session, second)) == ids
        assert store.triggers_of(session, first) == []


def test_a_clean_stop_gives_the_triggers_back_at_once(db: Engine) -> None:
    trigger_id = _defer(db, "a", _deferral())
    with transaction(db) as session:
        first = store.start_triggerer(session, "h", 1, capacity=10, now=NOW)
        second = store.start_triggerer(session, "h", 2, capacity=10, now=NOW)
        store.claim_triggers(session, first, 10, NOW, STALE)
        store.end_triggerer(session, first, NOW)
        assert store.claim_triggers(session, second, 10, NOW, STALE) == [trigger_id]


def test_two_triggerers_claiming_at_once_never_share_a_trigger(database_url: str) -> None:
    db = make_engine(database_url)
    try:
        for i in range(20):
            _defer_many(db, i)
        with transaction(db) as session:
            jobs = [store.start_triggerer(session, "h", n, 100, NOW) for n in (1, 2)]
        claimed: dict[int, list[int]] = {}
        errors: list[BaseException] = []

        def claim(job: int) -> None:
            try:
                with transaction(db) as session:
                    claimed[job] = store.claim_triggers(session, job, 100, NOW, STALE)
            except BaseException as exc:  # SQLite: one writer at a time, the other waits
                errors.append(exc)

        threads = [threading.Thread(target=claim, args=(job,)) for job in jobs]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors
        everything = claimed[jobs[0]] + claimed[jobs[1]]
        assert sorted(everything) == sorted(set(everything)) and len(everything) == 20
    finally:
        db.dispose()


def _defer_many(db: Engine, i: int) -> None:
    with transaction(db) as session:
        store.create_trigger(session, _deferral(i), NOW)


def test_a_timed_out_deferral_resumes_in_fail_and_its_trigger_is_dropped(db: Engine) -> None:
    trigger_id = _defer(db, "a", _deferral(seconds=5))
    with transaction(db) as session:
        me = store.start_triggerer(session, "h", 1, capacity=10, now=NOW)
        store.claim_triggers(session, me, 10, NOW, STALE)
        assert store.time_out_deferrals(session, me, source="t", now=NOW) == 0
    later = NOW + timedelta(seconds=6)
    with transaction(db) as session:
        assert store.time_out_deferrals(session, me, source="t", now=later) == 1
        assert store.clean_unused(session) == 1
        assert store.triggers_of(session, me) == []
    ti = _ti(db, "a")
    assert ti.state == TaskState.SCHEDULED and ti.next_method == "__fail__"
    assert "timed out" in ti.next_kwargs["error"]
    with transaction(db) as session:
        ids = session.execute(select(trigger_table.c.id)).scalars().all()
    assert trigger_id not in ids


def test_an_event_for_a_task_cleared_meanwhile_resumes_nothing(db: Engine) -> None:
    trigger_id = _defer(db, "a", _deferral())
    with transaction(db) as session:
        change = TaskChange("waits", "r1", "a", TaskState.DEFERRED, TaskState.NONE, 1)
        change_task_states(session, [change], source="user", now=NOW)
        assert store.fire_trigger(session, trigger_id, "late", source="t", now=NOW) == 0
    assert _ti(db, "a").state == TaskState.NONE
