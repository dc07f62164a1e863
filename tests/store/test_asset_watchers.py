"""Asset watchers in the Store, on SQLite and PostgreSQL: declared by a DAG's spec, given
a trigger (shared by two DAGs declaring the same watcher) while their DAG is active and
unpaused, kept by ``clean_unused``, and stopped when the DAG is paused, deleted or drops
them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, delete, select, update

from scheduler import DAG, Asset, AssetWatcher, EmptyOperator, MessageQueueTrigger
from scheduler.authoring import serialize_dag
from scheduler.store import asset_watchers
from scheduler.store import dags as dag_store
from scheduler.store import triggers as trigger_store
from scheduler.store.db import transaction
from scheduler.store.models import dag_table
from scheduler.store.models_assets import watcher_table
from scheduler.store.models_triggers import trigger_table

NOW = datetime(2026, 12, 3, 12, tzinfo=UTC)


def _sync(db: Engine, one: str = "orders", two: str = "orders") -> None:
    """DAGs "one" and "two" on mq://orders, each watching the AMQP queue named."""
    specs = []
    for dag_id, queue in (("one", one), ("two", two)):
        trigger = MessageQueueTrigger(scheme="amqp", amqp_queue=queue)
        orders = Asset("mq://orders", watchers=[AssetWatcher("orders_watcher", trigger)])
        with DAG(dag_id, schedule=[orders]) as dag:
            EmptyOperator(task_id="t")
        specs.append(serialize_dag(dag))
    with transaction(db) as session:
        parsed = [dag_store.ParsedFile(specs[0].fileloc, specs, [])]
        dag_store.sync_files(session, parsed, now=NOW, paused_at_creation=False)


def _assigned(db: Engine) -> tuple[dict[str, int | None], list[int]]:
    with transaction(db) as session:
        asset_watchers.assign_triggers(session, NOW)
        trigger_store.clean_unused(session)
        rows = session.execute(select(watcher_table.c.dag_id, watcher_table.c.trigger_id))
        triggers = list(session.scalars(select(trigger_table.c.id)))
    return dict(rows.all()), triggers


def test_watchers_share_a_trigger_that_lives_while_a_dag_runs_them(db: Engine) -> None:
    _sync(db)
    watchers, triggers = _assigned(db)
    assert len(triggers) == 1 and watchers == {"one": triggers[0], "two": triggers[0]}
    with transaction(db) as session:
        trigger_store.claim_triggers(session, 1, 10, NOW, timedelta(days=1))
        owned = trigger_store.triggers_of(session, 1)
    assert owned[0].watches == ("mq://orders",)
    assert owned[0].kwargs["amqp_queue"] == "orders"

    _sync(db)  # parsed again, unchanged: the same trigger keeps running
    assert _assigned(db) == (watchers, triggers)

    with transaction(db) as session:  # both paused: no watcher runs, the trigger goes
        session.execute(update(dag_table).values(is_paused=True))
    assert _assigned(db) == ({"one": None, "two": None}, [])

    with transaction(db) as session:
        session.execute(update(dag_table).values(is_paused=False))
    _sync(db, one="payments")  # "one" now watches another queue
    watchers, triggers = _assigned(db)
    assert len(triggers) == 2 and watchers["one"] != watchers["two"]
    with transaction(db) as session:
        kwargs = session.scalar(
            select(trigger_table.c.kwargs).where(trigger_table.c.id == watchers["one"])
        )
    assert kwargs["amqp_queue"] == "payments"

    with transaction(db) as session:  # "one" deleted (baton dags delete): its trigger goes
        session.execute(delete(dag_table).where(dag_table.c.dag_id == "one"))
    watchers, remaining = _assigned(db)
    assert watchers["one"] is None and remaining == [watchers["two"]]
