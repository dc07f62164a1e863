"""Pools in a real SQLite database: default_pool, set/get/delete, usage, unknown pools."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, update

from scheduler.errors import InvalidPoolError, PoolConflictError, PoolNotFoundError
from scheduler.spec import DagSpec, TaskSpec
from scheduler.store import dags as dag_store
from scheduler.store import pools
from scheduler.store import runs as run_store
from scheduler.store.db import transaction
from scheduler.store.events import list_events
from scheduler.store.migrate import migrate
from scheduler.store.models import task_instance_table
from scheduler.store.models_pools import pool_table
from scheduler.store.runs import NewRun

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def spec(dag_id: str = "etl", **pools_of: tuple[str, int]) -> DagSpec:
    tasks = {
        task_id: TaskSpec(task_id, "BashOperator", pool=pool, pool_slots=slots)
        for task_id, (pool, slots) in pools_of.items()
    }
    return DagSpec(dag_id=dag_id, fileloc=f"/dags/{dag_id}.py", tasks=tasks)


def test_migrate_creates_default_pool_with_airflows_128_slots(db) -> None:
    with transaction(db) as session:
        row = pools.get_pool(session, "default_pool")
        assert (row.slots, row.include_deferred) == (128, False)
        pools.set_pool(session, "default_pool", 5, "mine", source="t", now=NOW)
    migrate(db)  # migrating again keeps a changed default_pool
    with transaction(db) as session:
        assert pools.get_pool(session, "default_pool").slots == 5


def test_default_pool_is_implied_before_its_row_exists(db) -> None:
    with transaction(db) as session:
        session.execute(delete(pool_table))
        assert pools.pool_limits(session) == {"default_pool": pools.PoolLimit(128)}
        pools.ensure_default_pool(session, NOW)
        assert [r.name for r in pools.list_pools(session)] == ["default_pool"]


def test_set_creates_then_updates_and_logs_each_change(db) -> None:
    with transaction(db) as session:
        pools.set_pool(session, "api", 2, "the partner API", source="cli:me", now=NOW)
        row = pools.set_pool(
            session, "api", 3, "resized", include_deferred=True, source="cli:me", now=NOW
        )
        assert (row.slots, row.description, row.include_deferred) == (3, "resized", True)
        assert [r.name for r in pools.list_pools(session)] == ["api", "default_pool"]
        events = [e for e in list_events(session) if e.event == "pool_set"]
    assert [e.detail for e in events] == [
        "pool 'api': slots=3 include_deferred=True",
        "pool 'api': slots=2 include_deferred=False",
    ]
    assert events[0].source == "cli:me"


@pytest.mark.parametrize(
    ("name", "slots", "match"),
    [
        ("api", -2, "slots=-2 must be an integer >= 0, or -1 for unlimited"),
        ("api", "3", "slots='3' must be an integer"),
        ("api", True, "slots=True must be an integer"),
        ("  ", 1, "must be a non-empty string"),
        ("x" * 257, 1, "use at most 256"),
    ],
)
def test_invalid_values_are_refused(db, name, slots, match) -> None:
    with transaction(db) as session, pytest.raises(InvalidPoolError, match=match):
        pools.set_pool(session, name, slots, None, source="t", now=NOW)


def test_get_or_delete_of_an_unknown_pool_names_the_fix(db) -> None:
    with transaction(db) as session:
        with pytest.raises(PoolNotFoundError, match="baton pools set nope SLOTS DESCRIPTION"):
            pools.get_pool(session, "nope")
        with pytest.raises(PoolNotFoundError):
            pools.delete_pool(session, "nope", source="t", now=NOW)


def test_default_pool_cannot_be_deleted(db) -> None:
    with transaction(db) as session, pytest.raises(PoolConflictError, match="cannot be deleted"):
        pools.delete_pool(session, "default_pool", source="t", now=NOW)


def test_a_pool_used_by_an_active_dag_cannot_be_deleted_until_unused(db) -> None:
    with transaction(db) as session:
        pools.set_pool(session, "api", 2, None, source="t", now=NOW)
        dag_store.sync_file(
            session, "/dags/etl.py", [spec(call=("api", 1))], [], now=NOW, paused_at_creation=False
        )
        with pytest.raises(PoolConflictError, match=r"used by tasks of active DAGs \(etl.call\)"):
            pools.delete_pool(session, "api", source="t", now=NOW)
        dag_store.deactivate_files(session, ["/dags/etl.py"])
        pools.delete_pool(session, "api", source="t", now=NOW)
        assert "api" not in pools.pool_limits(session)


def test_an_unknown_pool_refuses_the_dag_as_an_import_error_of_its_file(db) -> None:
    with transaction(db) as session:
        pools.set_pool(session, "small", 1, None, source="t", now=NOW)
        accepted = dag_store.sync_files(
            session,
            [
                dag_store.ParsedFile("/dags/etl.py", [spec(call=("api", 1))], []),
                dag_store.ParsedFile("/dags/big.py", [spec("big", fat=("small", 2))], []),
                dag_store.ParsedFile("/dags/ok.py", [spec("ok", t=("small", 1))], []),
            ],
            now=NOW,
            paused_at_creation=False,
        )
        assert [s.dag_id for s in accepted] == ["ok"]
        errors = {e.filename: e.message for e in dag_store.list_import_errors(session)}
    assert errors["/dags/etl.py"] == (
        "DAG 'etl': task 'call': pool 'api' does not exist; create it with "
        "`baton pools set api SLOTS DESCRIPTION` (the DAG is loaded once the pool exists), "
        "or change pool="
    )
    assert "pool_slots=2 is more than pool 'small' has (1)" in errors["/dags/big.py"]
    assert "/dags/ok.py" not in errors


def test_an_unlimited_pool_fits_any_pool_slots_and_compensations_are_checked(db) -> None:
    undo = TaskSpec("charge", "callable:undo", pool="refunds")
    charge = TaskSpec("charge", "PythonOperator", pool="free", pool_slots=50, compensation=undo)
    saga = DagSpec(dag_id="saga", fileloc="/dags/saga.py", tasks={"charge": charge})
    with transaction(db) as session:
        pools.set_pool(session, "free", -1, None, source="t", now=NOW)
        problems = pools.unknown_pool_problems(session, [saga])
    assert problems == {
        "saga": [
            "DAG 'saga': task 'charge': pool 'refunds' does not exist; create it with "
            "`baton pools set refunds SLOTS DESCRIPTION` (the DAG is loaded once the pool "
            "exists), or change pool="
        ]
    }


def test_usage_counts_pool_slots_per_state_and_open_slots(db) -> None:
    etl = spec(a=("api", 2), b=("api", 1), c=("api", 1), d=("api", 1), e=("default_pool", 1))
    with transaction(db) as session:
        pools.set_pool(session, "api", 5, "API", source="t", now=NOW)
        dag_store.sync_file(session, etl.fileloc, [etl], [], now=NOW, paused_at_creation=False)
        new = NewRun("r", "manual", NOW, NOW, NOW, {})
        run_store.create_run(session, etl, new, source="t", now=NOW)
        for task_id, state in {
            "a": "running",
            "b": "queued",
            "c": "deferred",
            "d": "scheduled",
        }.items():
            session.execute(
                update(task_instance_table)
                .where(task_instance_table.c.task_id == task_id)
                .values(state=state)
            )
        stats = {s.name: s for s in pools.pool_stats(session, pools.list_pools(session))}
    api = stats["api"].as_dict()
    assert api == {
        "name": "api",
        "slots": 5,
        "occupied_slots": 3,  # running 2 + queued 1; deferred not included
        "running_slots": 2,
        "queued_slots": 1,
        "scheduled_slots": 1,
        "deferred_slots": 1,
        "open_slots": 2,
        "description": "API",
        "include_deferred": False,
        "rate_limit": None,
    }
    assert stats["default_pool"].occupied_slots == 0


def test_include_deferred_counts_deferred_slots_as_occupied() -> None:
    stats = pools.PoolStats("p", 4, None, True, 1, 0, 2, 0)
    assert (stats.occupied_slots, stats.open_slots) == (3, 1)
    assert pools.PoolLimit(4, include_deferred=True).open_slots(1, 2) == 1
    assert pools.PoolLimit(4).open_slots(1, 2) == 3
    assert pools.PoolLimit(-1).open_slots(100) == float("inf")
    assert pools.PoolStats("u", -1, None, False, 7, 0, 0, 0).open_slots == -1
