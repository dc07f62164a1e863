"""DAG callback claims (store/dag_callbacks.py) on SQLite and PostgreSQL: which finished
runs are due, one claim per run state change, a new change is a new callback."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import insert

from scheduler.store import dag_callbacks as store
from scheduler.store.db import transaction
from scheduler.store.events import Event, append_events
from scheduler.store.models import dag_table

NOW = datetime.now(UTC)


def _dag(session, dag_id: str, callbacks: list[str]) -> None:  # type: ignore[no-untyped-def]
    spec = {"dag_id": dag_id, "callbacks": callbacks}
    row = {"dag_id": dag_id, "fileloc": f"/dags/{dag_id}.py", "spec": spec, "created_at": NOW}
    session.execute(insert(dag_table), [row])


def _finished(session, dag_id: str, run_id: str, state: str) -> None:  # type: ignore[no-untyped-def]
    event = Event("run_state", NOW, "test", dag_id=dag_id, run_id=run_id,
                  old_state="running", new_state=state)  # fmt: skip
    append_events(session, [event])


def test_only_runs_whose_dag_sets_the_matching_callback_are_due(db):
    with transaction(db) as session:
        _dag(session, "alerts", ["on_failure_callback"])
        _dag(session, "quiet", [])
        _finished(session, "alerts", "r1", "success")  # no on_success_callback
        _finished(session, "alerts", "r2", "failed")
        _finished(session, "quiet", "r3", "failed")
    with transaction(db) as session:
        due, cursor = store.due_callbacks(session, 0, NOW + timedelta(days=1))
        assert [(d.run_id, d.callback, d.fileloc) for d in due] == [
            ("r2", "on_failure_callback", "/dags/alerts.py")
        ]
        assert store.due_callbacks(session, cursor, NOW + timedelta(days=1)) == ([], cursor)
        # within the window, a change is read again (the claim keeps it from running twice)
        again, _ = store.due_callbacks(session, cursor, NOW - timedelta(minutes=1))
        assert [d.run_id for d in again] == ["r2"]


def test_one_claim_per_state_change_and_again_after_a_rerun(db):
    with transaction(db) as session:
        _dag(session, "alerts", ["on_failure_callback"])
        _finished(session, "alerts", "r1", "failed")
    with transaction(db) as session:
        (due,), _ = store.due_callbacks(session, 0, NOW + timedelta(days=1))
        assert store.claim(session, due, "scheduler:1@a", NOW, "/logs/x.log")
    with transaction(db) as session:  # a second scheduler saw the same change
        assert store.is_claimed(session, due.event_id)
        assert not store.claim(session, due, "scheduler:2@b", NOW, "/logs/x.log")
        store.finish(session, due.event_id, "success", None, NOW)
        _finished(session, "alerts", "r1", "failed")  # cleared, failed again
    with transaction(db) as session:
        (again,), _ = store.due_callbacks(session, due.event_id, NOW + timedelta(days=1))
        assert store.claim(session, again, "scheduler:2@b", NOW, "/logs/y.log")
        claims = store.list_callbacks(session, "alerts", "r1")
    assert [(c["source"], c["state"]) for c in claims] == [
        ("scheduler:1@a", "success"),
        ("scheduler:2@b", "running"),
    ]


def test_a_starting_scheduler_looks_back_from_before_its_window(db):
    with transaction(db) as session:
        append_events(session, [Event("trigger", NOW - timedelta(hours=2), "test")])
        append_events(session, [Event("trigger", NOW, "test")])
    with transaction(db) as session:
        first = store.start_cursor(session, NOW - timedelta(minutes=10))
        assert store.start_cursor(session, NOW - timedelta(days=1)) == 0
    assert first > 0
