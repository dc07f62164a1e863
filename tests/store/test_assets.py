"""Assets in the Store, on SQLite and PostgreSQL: references from specs, events queued per
consuming DAG, a run created once its condition holds, and never twice when two schedulers
decide the same DAG at the same moment (the DAG row lock, then the unique run-event link)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, func, insert, select
from sqlalchemy.exc import IntegrityError

from scheduler import DAG, Asset, AssetAlias, EmptyOperator
from scheduler.authoring import serialize_dag
from scheduler.engine.assets import create_run_if_ready
from scheduler.spec import DagSpec
from scheduler.store import asset_queries
from scheduler.store import assets as asset_store
from scheduler.store import dags as dag_store
from scheduler.store.db import transaction
from scheduler.store.models import dag_run_table
from scheduler.store.models_assets import queue_table, run_event_table

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
A, B = Asset("s3://x/a"), Asset(uri="s3://x/b", name="bee", group="lake")


def _specs() -> list[DagSpec]:
    with DAG("producer", schedule=None) as producer:
        EmptyOperator(task_id="make", outlets=[A, B, AssetAlias("exports")])
    with DAG("both", schedule=A & B) as both:
        EmptyOperator(task_id="t")
    with DAG("by_alias", schedule=[AssetAlias("exports")]) as by_alias:
        EmptyOperator(task_id="t")
    return [serialize_dag(d) for d in (producer, both, by_alias)]


def _synced(db: Engine) -> dict[str, DagSpec]:
    specs = _specs()
    with transaction(db) as session:
        parsed = [dag_store.ParsedFile("/dags/assets.py", specs, [])]
        dag_store.sync_files(session, parsed, now=NOW, paused_at_creation=False)
    return {spec.dag_id: spec for spec in specs}


def _event(db: Engine, uri: str, alias: str | None = None) -> int:
    with transaction(db) as session:
        event = asset_store.NewAssetEvent(uri=uri, source_alias=alias, external_source="test")
        return asset_store.record_events(session, [event], NOW)[0]


def _runs(db: Engine, dag_id: str) -> int:
    with transaction(db) as session:
        query = select(func.count()).where(dag_run_table.c.dag_id == dag_id)
        return session.scalar(query)


def test_references_from_the_specs(db: Engine) -> None:
    _synced(db)
    with transaction(db) as session:
        found = {a["uri"]: a for a in asset_queries.list_assets(session)}
        aliases = asset_queries.list_aliases(session)
    assert found["s3://x/b"]["name"] == "bee" and found["s3://x/b"]["group"] == "lake"
    assert found["s3://x/a"]["producing_tasks"] == [{"dag_id": "producer", "task_id": "make"}]
    assert found["s3://x/a"]["consuming_dags"] == ["both"]
    assert [(a["name"], a["consuming_dags"]) for a in aliases] == [("exports", ["by_alias"])]


def test_a_run_once_the_condition_holds_and_its_events_leave_the_queue(db: Engine) -> None:
    specs = _synced(db)
    first = _event(db, "s3://x/a")
    with transaction(db) as session:
        assert create_run_if_ready(session, specs["both"], source="t", now=NOW) is None
    second = _event(db, "s3://x/a")
    third = _event(db, "s3://x/b")
    with transaction(db) as session:
        run = create_run_if_ready(session, specs["both"], source="t", now=NOW)
        assert run is not None and run.run_type == "asset_triggered"
        events = asset_queries.triggering_events(session, "both", run.run_id)
        assert create_run_if_ready(session, specs["both"], source="t", now=NOW) is None
        assert session.scalar(select(func.count()).select_from(queue_table)) == 0
    assert [e["id"] for e in events] == [first, second, third]
    # An event through the alias is queued for the alias's consumer only.
    _event(db, "s3://x/new", alias="exports")
    with transaction(db) as session:
        assert asset_store.queued_dag_ids(session) == ["by_alias"]
        assert create_run_if_ready(session, specs["by_alias"], source="t", now=NOW) is not None


def test_two_schedulers_deciding_at_once_create_one_run(db: Engine) -> None:
    specs = _synced(db)
    _event(db, "s3://x/a")
    _event(db, "s3://x/b")
    created, blocked_result = threading.Event(), []
    release = threading.Event()

    def first() -> None:
        with transaction(db) as session:
            assert create_run_if_ready(session, specs["both"], source="a", now=NOW)
            created.set()
            release.wait(10)  # hold the lock (and the uncommitted run) a while

    def second() -> None:
        created.wait(10)
        with transaction(db) as session:  # waits for the first one's lock, then decides
            blocked_result.append(create_run_if_ready(session, specs["both"], source="b", now=NOW))

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    created.wait(10)
    threading.Timer(0.5, release.set).start()
    for thread in threads:
        thread.join(30)
    assert blocked_result == [None]
    assert _runs(db, "both") == 1


def test_the_run_event_link_is_unique_per_dag_and_event(db: Engine) -> None:
    specs = _synced(db)
    _event(db, "s3://x/a")
    event_id = _event(db, "s3://x/b")
    with transaction(db) as session:
        run = create_run_if_ready(session, specs["both"], source="a", now=NOW)
        assert run is not None
    with pytest.raises(IntegrityError), transaction(db) as session:
        session.execute(
            insert(run_event_table).values(dag_run_id=run.id + 1, event_id=event_id, dag_id="both")
        )
