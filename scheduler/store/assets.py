"""Assets in the database: references from DAG specs, events, the per-DAG queue, run links.

Every function takes the caller's session: recording a task's events happens in the
scheduler's transaction that stores the task's success, an external event in the API's
transaction, a run's creation in the transaction that consumes its queued events.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from scheduler.asset_condition import alias_key, asset_key, leaves
from scheduler.spec import DagSpec
from scheduler.store import asset_watchers
from scheduler.store.models import dag_table
from scheduler.store.models_assets import (
    alias_table,
    asset_event_table,
    asset_table,
    outlet_asset_table,
    queue_table,
    run_event_table,
    schedule_alias_table,
    schedule_asset_table,
)
from scheduler.store.sqlmodel_boundary import inserted_id


@dataclass(frozen=True)
class NewAssetEvent:
    """One update of an asset, from a task (``source_*``) or from outside (``external_source``)."""

    uri: str
    extra: dict[str, Any] = field(default_factory=dict)
    name: str | None = None  # for an asset not stored yet (added through an alias)
    group: str = "asset"
    source_dag_id: str | None = None
    source_run_id: str | None = None
    source_task_id: str | None = None
    source_map_index: int = -1
    source_alias: str | None = None
    external_source: str | None = None
    error: str | None = None  # a failed event (a bad message): stored, queued for no DAG


@dataclass(frozen=True)
class QueuedEvent:
    event_id: int
    key: str  # asset_condition key of its asset
    alias: str | None
    timestamp: datetime
    extra: Any = None

    @property
    def keys(self) -> set[str]:
        return {self.key, alias_key(self.alias)} if self.alias else {self.key}


# -- references from DAG specs ------------------------------------------------------------------


def sync_references(
    session: Session, specs: Sequence[DagSpec], now: datetime, *, new: Collection[str] = ()
) -> None:
    """Record which asset each DAG is scheduled on and each task produces (replacing what
    the DAGs' previous versions declared); assets and aliases are created as named.
    ``new``: DAGs stored for the first time, which have no references to replace."""
    if not specs:
        return
    dag_ids = [spec.dag_id for spec in specs if spec.dag_id not in new]
    for table in (schedule_asset_table, schedule_alias_table, outlet_asset_table):
        if dag_ids:
            session.execute(delete(table).where(table.c.dag_id.in_(dag_ids)))
    all_ids: dict[str, int] = {}
    for spec in specs:
        declared = _declared_assets(spec)
        ids = {uri: ensure_asset(session, uri, **attrs, now=now) for uri, attrs in declared.items()}
        all_ids.update(ids)
        if spec.asset_condition is not None:
            uris, aliases = leaves(spec.asset_condition)
            _insert(
                session,
                schedule_asset_table,
                [{"dag_id": spec.dag_id, "asset_id": ids[u]} for u in uris],
            )
            rows = [{"dag_id": spec.dag_id, "alias_id": ensure_alias(session, a)} for a in aliases]
            _insert(session, schedule_alias_table, rows)
        outlets = {
            (task.task_id, ids[outlet["uri"]])
            for task in spec.tasks.values()
            for outlet in task.outlets
            if "uri" in outlet
        }
        rows = [{"dag_id": spec.dag_id, "task_id": t, "asset_id": a} for t, a in sorted(outlets)]
        _insert(session, outlet_asset_table, rows)
        for task in spec.tasks.values():
            for outlet in task.outlets:
                if "alias" in outlet:
                    ensure_alias(session, outlet["alias"], outlet.get("group", "asset"))
    asset_watchers.sync_declared(session, specs, all_ids, new=new)


def _declared_assets(spec: DagSpec) -> dict[str, dict[str, Any]]:
    """URI -> name/group/extra of every asset a spec names (its outlets and inlets win over a
    bare URI in its schedule, which carries no name)."""
    found: dict[str, dict[str, Any]] = {}
    if spec.asset_condition is not None:
        for uri in leaves(spec.asset_condition)[0]:
            found[uri] = {}
    for task in spec.tasks.values():
        for item in (*task.outlets, *task.inlets):
            if "uri" in item:
                found[item["uri"]] = {
                    "name": item["name"],
                    "group": item["group"],
                    "extra": item["extra"],
                }
    return found


def _insert(session: Session, table: Any, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(table), rows)


def ensure_asset(
    session: Session,
    uri: str,
    *,
    name: str | None = None,
    group: str | None = None,
    extra: dict[str, Any] | None = None,
    now: datetime,
    rename: bool = True,
) -> int:
    """The id of the asset ``uri``, created if new; with ``rename``, a declaration's name,
    group and extra replace the stored ones (the latest DAG file is the truth)."""
    row = session.execute(
        select(
            asset_table.c.id, asset_table.c.name, asset_table.c.group, asset_table.c.extra
        ).where(asset_table.c.uri == uri)
    ).first()
    if row is None:
        values = {"uri": uri, "name": name or uri, "group": group or "asset", "extra": extra or {}}
        try:
            with session.begin_nested():  # another scheduler may create it at the same time
                return inserted_id(
                    session, insert(asset_table).values(**values, created_at=now, updated_at=now)
                )
        except IntegrityError:
            # The row another scheduler inserted: it exists, or the IntegrityError was
            # about something else and scalar_one() says so.
            return session.execute(
                select(asset_table.c.id).where(asset_table.c.uri == uri)
            ).scalar_one()
    wanted = {
        k: v for k, v in (("name", name), ("group", group), ("extra", extra)) if v is not None
    }
    if rename and any(getattr(row, k) != v for k, v in wanted.items()):
        session.execute(
            update(asset_table).where(asset_table.c.id == row.id).values(**wanted, updated_at=now)
        )
    return row.id


def ensure_alias(session: Session, name: str, group: str = "asset") -> int:
    found = session.scalar(select(alias_table.c.id).where(alias_table.c.name == name))
    if found is not None:
        return found
    try:
        with session.begin_nested():
            return inserted_id(session, insert(alias_table).values(name=name, group=group))
    except IntegrityError:
        return session.execute(
            select(alias_table.c.id).where(alias_table.c.name == name)
        ).scalar_one()


# -- events and the queue -----------------------------------------------------------------------


def record_events(session: Session, events: Iterable[NewAssetEvent], now: datetime) -> list[int]:
    """Insert the events and queue each for every active DAG scheduled on its asset (or on
    the alias it came through); return their ids. A batch (a watcher's messages) costs a
    few statements, not a few per event: one multi-row insert of the events, one of their
    queue rows, and one look-up per distinct asset."""
    events = list(events)
    if not events:
        return []
    asset_ids: dict[str, int] = {}
    for event in events:
        if event.uri not in asset_ids:  # an event names its asset; only a DAG file renames
            asset_ids[event.uri] = ensure_asset(
                session, event.uri, name=event.name, group=event.group, now=now, rename=False
            )
    rows = [
        {k: v for k, v in event.__dict__.items() if k not in ("uri", "name", "group")}
        | {"asset_id": asset_ids[event.uri], "timestamp": now}
        for event in events
    ]
    inserted = session.execute(
        insert(asset_event_table).returning(asset_event_table.c.id, sort_by_parameter_order=True),
        rows,
    )
    ids = [int(event_id) for event_id in inserted.scalars()]
    consumers: dict[tuple[int, str | None], list[str]] = {}
    queued = []
    for event, event_id in zip(events, ids, strict=True):
        if event.error is not None:
            continue  # a failed event starts nothing
        key = (asset_ids[event.uri], event.source_alias)
        if key not in consumers:
            consumers[key] = _consumers(session, *key)
        queued += [
            {"target_dag_id": dag_id, "event_id": event_id, "created_at": now}
            for dag_id in consumers[key]
        ]
    _insert(session, queue_table, queued)
    return ids


def _consumers(session: Session, asset_id: int, alias: str | None) -> list[str]:
    by_asset = select(schedule_asset_table.c.dag_id).where(
        schedule_asset_table.c.asset_id == asset_id
    )
    by_alias = (
        select(schedule_alias_table.c.dag_id)
        .join(alias_table, alias_table.c.id == schedule_alias_table.c.alias_id)
        .where(alias_table.c.name == alias)
    )
    dag_ids = set(session.scalars(by_asset if alias is None else by_asset.union(by_alias)))
    if not dag_ids:
        return []
    active = select(dag_table.c.dag_id).where(
        dag_table.c.dag_id.in_(dag_ids), dag_table.c.is_active.is_(True)
    )
    return sorted(session.scalars(active))


def queued_dag_ids(session: Session) -> list[str]:
    """The DAGs with events waiting for their condition."""
    return list(session.scalars(select(queue_table.c.target_dag_id).distinct()))


def lock_dag(session: Session, dag_id: str) -> None:
    """Hold the DAG's row until the transaction ends (PostgreSQL; SQLite has one writer):
    a second scheduler deciding the same DAG's asset run waits, then finds the queue it
    would have consumed already empty."""
    session.execute(
        select(dag_table.c.dag_id).where(dag_table.c.dag_id == dag_id).with_for_update()
    )


def queued_events(session: Session, dag_id: str) -> list[QueuedEvent]:
    rows = session.execute(
        select(
            asset_event_table.c.id,
            asset_table.c.uri,
            asset_event_table.c.source_alias,
            asset_event_table.c.timestamp,
            asset_event_table.c.extra,
        )
        .join(queue_table, queue_table.c.event_id == asset_event_table.c.id)
        .join(asset_table, asset_table.c.id == asset_event_table.c.asset_id)
        .where(queue_table.c.target_dag_id == dag_id)
        .order_by(asset_event_table.c.id)
    )
    return [QueuedEvent(r.id, asset_key(r.uri), r.source_alias, r.timestamp, r.extra) for r in rows]


def consume(session: Session, dag_id: str, run_pk: int, event_ids: Sequence[int]) -> None:
    """Link the run to its triggering events and take them off the DAG's queue. The link's
    unique (dag_id, event_id) refuses a second run of the same events, whatever happens."""
    session.execute(
        insert(run_event_table),
        [{"dag_run_id": run_pk, "event_id": e, "dag_id": dag_id} for e in event_ids],
    )
    session.execute(
        delete(queue_table).where(
            queue_table.c.target_dag_id == dag_id, queue_table.c.event_id.in_(event_ids)
        )
    )
