"""The Store against a real SQLite file: schema, transitions, the event log."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select
from sqlmodel import SQLModel

from scheduler.errors import BatonError, DatabaseNotReadyError, IllegalTransitionError
from scheduler.spec import DagSpec, TaskSpec
from scheduler.states import RunState, TaskState
from scheduler.store import dags as dag_store
from scheduler.store import runs as run_store
from scheduler.store.db import make_engine, transaction
from scheduler.store.events import list_events
from scheduler.store.migrate import head_revision, migrate
from scheduler.store.models import TaskInstanceRow
from scheduler.store.runs import NewRun
from scheduler.store.schema import SCHEMA_REVISION, check_schema, current_revision
from scheduler.store.transitions import TaskChange, change_run_state, change_task_states

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
SPEC = DagSpec(
    dag_id="orders",
    fileloc="/dags/orders.py",
    tasks={
        "a": TaskSpec("a", "PythonOperator"),
        "b": TaskSpec("b", "PythonOperator", upstream=("a",), retries=2),
    },
)


@pytest.fixture
def db(tmp_path: Path):
    engine = make_engine(f"sqlite:///{tmp_path / 'baton.db'}")
    migrate(engine)
    return engine


def new_run(run_id: str = "manual__1") -> NewRun:
    return NewRun(run_id, "manual", NOW, NOW, NOW, {"x": 1})


def test_migrations_match_the_models(db) -> None:
    with db.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert diff == []
    assert current_revision(db) == head_revision() == SCHEMA_REVISION


def test_a_database_without_schema_is_refused_with_the_fix(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    with pytest.raises(DatabaseNotReadyError, match="baton db migrate"):
        check_schema(engine)


def test_sqlite_runs_in_wal_mode(db) -> None:
    with db.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_create_run_makes_one_task_instance_per_task_and_logs_it(db) -> None:
    with transaction(db) as session:
        run = run_store.create_run(session, SPEC, new_run(), source="test", now=NOW)
        assert run.state == RunState.QUEUED and run.conf == {"x": 1}
        tis = run_store.list_task_instances(session, "orders", "manual__1")
        assert {(t.task_id, t.state, t.max_tries) for t in tis} == {
            ("a", "none", 1),
            ("b", "none", 3),
        }
        assert list_events(session, dag_id="orders")[0].event == "run_created"


def test_duplicate_run_id_is_refused(db) -> None:
    with transaction(db) as session:
        run_store.create_run(session, SPEC, new_run(), source="test", now=NOW)
    with pytest.raises(BatonError, match="already has a run"), transaction(db) as session:
        run_store.create_run(session, SPEC, new_run(), source="test", now=NOW)


def test_transitions_update_state_and_append_events(db) -> None:
    with transaction(db) as session:
        run_store.create_run(session, SPEC, new_run(), source="test", now=NOW)
        change_task_states(
            session,
            [TaskChange("orders", "manual__1", "a", TaskState.NONE, TaskState.SCHEDULED)],
            source="scheduler:1@h",
            now=NOW,
        )
    with transaction(db) as session:
        ti = session.scalar(select(TaskInstanceRow).where(TaskInstanceRow.task_id == "a"))
        assert ti.state == "scheduled"
        event = list_events(session, task_id="a")[0]
        assert (event.old_state, event.new_state, event.source) == (
            "none",
            "scheduled",
            "scheduler:1@h",
        )


def test_a_transition_off_the_state_machine_is_refused(db) -> None:
    with transaction(db) as session:
        run_store.create_run(session, SPEC, new_run(), source="test", now=NOW)
    change = TaskChange("orders", "manual__1", "a", TaskState.NONE, TaskState.RUNNING)
    refused = pytest.raises(IllegalTransitionError, match="cannot go from none to running")
    with refused, transaction(db) as session:
        change_task_states(session, [change], source="t", now=NOW)


def test_a_transition_from_a_stale_state_is_refused_and_rolled_back(db) -> None:
    with transaction(db) as session:
        run_store.create_run(session, SPEC, new_run(), source="test", now=NOW)
    stale = TaskChange("orders", "manual__1", "a", TaskState.SCHEDULED, TaskState.QUEUED)
    refused = pytest.raises(IllegalTransitionError, match="no longer 'scheduled'")
    with refused, transaction(db) as session:
        change_task_states(session, [stale], source="t", now=NOW)
    with transaction(db) as session:
        assert list_events(session, task_id="a") == []


def test_run_state_changes_follow_the_machine(db) -> None:
    with transaction(db) as session:
        run_store.create_run(session, SPEC, new_run(), source="test", now=NOW)
        change_run_state(
            session, "orders", "manual__1", RunState.QUEUED, RunState.RUNNING, source="t", now=NOW
        )
        with pytest.raises(IllegalTransitionError):
            change_run_state(
                session,
                "orders",
                "manual__1",
                RunState.QUEUED,
                RunState.SUCCESS,
                source="t",
                now=NOW,
            )


def test_sync_file_records_dags_errors_and_refuses_a_second_owner(db) -> None:
    other = DagSpec(dag_id="orders", fileloc="/dags/copy.py", tasks={})
    with transaction(db) as session:
        dag_store.sync_file(session, SPEC.fileloc, [SPEC], [], now=NOW, paused_at_creation=True)
        accepted = dag_store.sync_file(
            session, other.fileloc, [other], [], now=NOW, paused_at_creation=True
        )
        assert accepted == []
        errors = dag_store.list_import_errors(session)
        assert errors[0].filename == "/dags/copy.py"
        assert "already declared in /dags/orders.py" in errors[0].message
        assert dag_store.get_dag(session, "orders").is_paused is True


def test_deleted_files_deactivate_their_dags_but_keep_history(db) -> None:
    with transaction(db) as session:
        dag_store.sync_file(session, SPEC.fileloc, [SPEC], [], now=NOW, paused_at_creation=False)
        run_store.create_run(session, SPEC, new_run(), source="test", now=NOW)
        dag_store.deactivate_missing(session, present_files=[])
    with transaction(db) as session:
        assert dag_store.list_dags(session) == []
        assert [d.dag_id for d in dag_store.list_dags(session, include_inactive=True)] == ["orders"]
        assert len(run_store.list_runs(session, "orders")) == 1


def test_two_changes_of_one_task_in_a_batch_apply_in_order(db) -> None:
    with transaction(db) as session:
        run_store.create_run(session, SPEC, new_run(), source="test", now=NOW)
        change_task_states(
            session,
            [
                TaskChange("orders", "manual__1", "b", TaskState.NONE, TaskState.SCHEDULED),
                TaskChange("orders", "manual__1", "a", TaskState.NONE, TaskState.SCHEDULED),
                TaskChange("orders", "manual__1", "a", TaskState.SCHEDULED, TaskState.QUEUED),
                TaskChange("orders", "manual__1", "b", TaskState.SCHEDULED, TaskState.QUEUED),
            ],
            source="t",
            now=NOW,
        )
        tis = run_store.list_task_instances(session, "orders", "manual__1")
        states = {t.task_id: t.state for t in tis}
        assert states == {"a": "queued", "b": "queued"}
        assert len(list_events(session, dag_id="orders", event="task_state")) == 4
