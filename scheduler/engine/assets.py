"""Asset-triggered runs: a producing task's events in, consumer runs out (Airflow 3's meaning).

When a try with outlets succeeds, ``record_task_outlets`` stores its events in the same
transaction as the success (and queues each for the DAGs scheduled on it). Then, in the same
transaction, ``create_asset_triggered_runs`` looks at every DAG with queued events: when the
DAG's condition (``schedule=[a, b]``, ``a & b``, ``a | b``) holds over the assets its queued
events touch, one ``asset_triggered`` run is created, linked to those events, and the events
leave its queue. Events from outside (the API, the CLI) are queued by those callers, who
poke the scheduler; the database check after a poke (or every 2 s) finds them.

Several schedulers on PostgreSQL: each DAG's decision happens under a row lock on the DAG,
and the run-event link is unique per (DAG, event), so a run is never created twice.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

from scheduler.asset_condition import holds
from scheduler.engine.catalog import DagCatalog
from scheduler.engine.live import LiveRun
from scheduler.spec import DagSpec
from scheduler.store import assets as asset_store
from scheduler.store.assets import NewAssetEvent, QueuedEvent
from scheduler.store.models import DagRunRow
from scheduler.store.runs import NewRun, create_run
from scheduler.store.sqlmodel_boundary import stored_id

log = logging.getLogger("baton.scheduler")

RUN_TYPE = "asset_triggered"  # Airflow's DagRunType.ASSET_TRIGGERED


class _Driver(Protocol):  # the RunDriver's part this module uses (it imports this module)
    new_asset_events: int

    def adopt_runs(
        self, session: Session, rows: list[DagRunRow], specs: dict[str, DagSpec]
    ) -> Any: ...


def record_task_outlets(
    session: Session,
    run: LiveRun,
    task_id: str,
    map_index: int,
    outlet_events: Sequence[dict[str, Any]],
    now: datetime,
) -> int:
    """Store the asset events of a succeeded try; returns how many."""
    events = [
        NewAssetEvent(
            uri=event["uri"],
            name=event.get("name"),
            group=event.get("group") or "asset",
            extra=event.get("extra") or {},
            source_dag_id=run.dag_id,
            source_run_id=run.run_id,
            source_task_id=task_id,
            source_map_index=map_index,
            source_alias=event.get("alias"),
        )
        for event in outlet_events
    ]
    asset_store.record_events(session, events, now)
    return len(events)


def create_asset_triggered_runs(
    session: Session,
    driver: _Driver,
    catalog: DagCatalog,
    source: str,
    now: datetime,
    *,
    check_db: bool,
) -> list[DagRunRow]:
    """Create the runs whose asset condition holds; the driver mirrors them at once.

    Cheap when nothing happened: it looks at the queue only after this scheduler recorded
    events (``driver.new_asset_events``) or on a database check (a poke, every 2 s).
    """
    if not check_db and not driver.new_asset_events:
        return []
    driver.new_asset_events = 0
    paused, specs = catalog.paused(), catalog.specs
    created = []
    for dag_id in asset_store.queued_dag_ids(session):
        spec = specs.get(dag_id)
        if spec is None or spec.asset_condition is None or dag_id in paused:
            continue  # a paused consumer keeps its queue, as in Airflow
        if not catalog.drives(dag_id):
            continue  # another scheduler drives this DAG: it creates the run
        row = create_run_if_ready(session, spec, source=source, now=now)
        if row is not None:
            created.append(row)
    if created:
        driver.adopt_runs(session, created, specs)
    return created


def create_run_if_ready(
    session: Session, spec: DagSpec, *, source: str, now: datetime
) -> DagRunRow | None:
    """One run of ``spec`` from its queued events if its condition holds over them."""
    if not _ready(asset_store.queued_events(session, spec.dag_id), spec):
        return None  # the common case of a partial condition: no lock taken
    asset_store.lock_dag(session, spec.dag_id)
    queued = asset_store.queued_events(session, spec.dag_id)  # again, under the lock
    if not _ready(queued, spec):
        return None  # another scheduler took them first
    row = create_run(session, spec, _new_run(queued, now), source=source, now=now)
    asset_store.consume(session, spec.dag_id, stored_id(row), [e.event_id for e in queued])
    log.info("created run %s/%s from %d asset event(s)", row.dag_id, row.run_id, len(queued))
    return row


def _ready(queued: list[QueuedEvent], spec: DagSpec) -> bool:
    present = set().union(*(event.keys for event in queued)) if queued else set()
    return bool(queued) and holds(spec.asset_condition or {}, present)


def _new_run(queued: list[QueuedEvent], now: datetime) -> NewRun:
    """Airflow's data interval of an asset-triggered run: from its first event to its last."""
    stamps = [event.timestamp for event in queued]
    return NewRun(
        run_id=f"{RUN_TYPE}__{now.isoformat()}",
        run_type=RUN_TYPE,
        logical_date=now,
        data_interval_start=min(stamps),
        data_interval_end=max(stamps),
        conf=_message_conf(queued),
        triggered_by="asset",
    )


def _message_conf(queued: list[QueuedEvent]) -> dict[str, Any]:
    """A run started by watcher events (messages) carries their payloads in its conf:
    ``payload`` (the last one's) and ``payloads`` (all, oldest first), so a template or a
    task reads ``dag_run.conf["payload"]``; other asset-triggered runs have an empty conf."""
    payloads = [
        event.extra["payload"]
        for event in queued
        if isinstance(event.extra, dict) and event.extra.get("from_trigger")
    ]
    return {"payload": payloads[-1], "payloads": payloads} if payloads else {}
