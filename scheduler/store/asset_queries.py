"""Reading assets: listings for the CLI, the REST API and the web UI, and the events behind
a run (``triggering_asset_events`` in a worker, the run page)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from scheduler.errors import AssetNotFoundError
from scheduler.store import asset_watchers
from scheduler.store.models import dag_run_table
from scheduler.store.models_assets import (
    alias_table,
    asset_event_table,
    asset_table,
    outlet_asset_table,
    run_event_table,
    schedule_alias_table,
    schedule_asset_table,
)
from scheduler.store.types import UtcDateTime


def get_asset_id(session: Session, *, asset_id: int | None = None, uri: str | None = None) -> int:
    """The id of an existing asset, named by id or by URI."""
    query = select(asset_table.c.id)
    query = (
        query.where(asset_table.c.id == asset_id)
        if asset_id is not None
        else query.where(asset_table.c.uri == uri)
    )
    found = session.scalar(query)
    if found is None:
        what = f"id {asset_id}" if asset_id is not None else f"URI {uri!r}"
        raise AssetNotFoundError(
            f"no asset has {what}; list them with `baton assets list` (an asset exists once a "
            "parsed DAG names it in a schedule or outlets)"
        )
    return found


def list_assets(session: Session) -> list[dict[str, Any]]:
    """Every asset with its producers (dag_id, task_id), consumers (dag_ids), watchers and
    last event."""
    last = (
        select(
            asset_event_table.c.asset_id,
            func.max(asset_event_table.c.timestamp, type_=UtcDateTime()).label("at"),
        )
        .group_by(asset_event_table.c.asset_id)
        .subquery()
    )
    rows = session.execute(
        select(asset_table, last.c.at)
        .outerjoin(last, last.c.asset_id == asset_table.c.id)
        .order_by(asset_table.c.uri)
    ).all()
    producers: dict[int, list[dict[str, str]]] = {}
    for r in session.execute(select(outlet_asset_table).order_by(outlet_asset_table.c.dag_id)):
        producers.setdefault(r.asset_id, []).append({"dag_id": r.dag_id, "task_id": r.task_id})
    consumers: dict[int, list[str]] = {}
    for r in session.execute(select(schedule_asset_table).order_by(schedule_asset_table.c.dag_id)):
        consumers.setdefault(r.asset_id, []).append(r.dag_id)
    watchers = asset_watchers.watchers_by_asset(session)
    return [
        {
            "id": r.id,
            "uri": r.uri,
            "name": r.name,
            "group": r.group,
            "extra": r.extra,
            "created_at": r.created_at,
            "updated_at": r.updated_at,
            "last_event_at": r.at,
            "producing_tasks": producers.get(r.id, []),
            "consuming_dags": consumers.get(r.id, []),
            "watchers": watchers.get(r.id, []),
        }
        for r in rows
    ]


def list_aliases(session: Session) -> list[dict[str, Any]]:
    consumers: dict[int, list[str]] = {}
    for r in session.execute(select(schedule_alias_table)):
        consumers.setdefault(r.alias_id, []).append(r.dag_id)
    rows = session.execute(select(alias_table).order_by(alias_table.c.name))
    return [
        {"id": r.id, "name": r.name, "group": r.group, "consuming_dags": consumers.get(r.id, [])}
        for r in rows
    ]


def _event_query() -> Any:
    return select(asset_event_table, asset_table.c.uri, asset_table.c.name).join(
        asset_table, asset_table.c.id == asset_event_table.c.asset_id
    )


def list_events(
    session: Session, *, asset_id: int | None = None, limit: int = 50, offset: int = 0
) -> tuple[list[dict[str, Any]], int]:
    """Events newest first (of one asset, or all), with the runs each one triggered."""
    query, count = _event_query(), select(func.count()).select_from(asset_event_table)
    if asset_id is not None:
        query = query.where(asset_event_table.c.asset_id == asset_id)
        count = count.where(asset_event_table.c.asset_id == asset_id)
    rows = session.execute(
        query.order_by(asset_event_table.c.id.desc()).limit(limit).offset(offset)
    ).all()
    return _with_runs(session, [_event_dict(r) for r in rows]), session.scalar(count) or 0


def triggering_events(session: Session, dag_id: str, run_id: str) -> list[dict[str, Any]]:
    """The events that created the run ``dag_id/run_id`` (none unless asset-triggered)."""
    run_pk = session.scalar(
        select(dag_run_table.c.id).where(
            dag_run_table.c.dag_id == dag_id, dag_run_table.c.run_id == run_id
        )
    )
    if run_pk is None:
        return []
    rows = session.execute(
        _event_query()
        .join(run_event_table, run_event_table.c.event_id == asset_event_table.c.id)
        .where(run_event_table.c.dag_run_id == run_pk)
        .order_by(asset_event_table.c.id)
    )
    return [_event_dict(r) for r in rows]


def _event_dict(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "asset_id": row.asset_id,
        "uri": row.uri,
        "name": row.name,
        "extra": row.extra,
        "source_dag_id": row.source_dag_id,
        "source_run_id": row.source_run_id,
        "source_task_id": row.source_task_id,
        "source_map_index": row.source_map_index,
        "source_alias": row.source_alias,
        "external_source": row.external_source,
        "error": row.error,  # a failed event's reason (a message that is not JSON)
        "timestamp": row.timestamp,
    }


def _with_runs(session: Session, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add ``created_dagruns`` (Airflow's field): the runs each event triggered."""
    ids = [e["id"] for e in events]
    runs: dict[int, list[dict[str, str]]] = {}
    if ids:
        rows = session.execute(
            select(run_event_table.c.event_id, dag_run_table.c.dag_id, dag_run_table.c.run_id)
            .join(dag_run_table, dag_run_table.c.id == run_event_table.c.dag_run_id)
            .where(run_event_table.c.event_id.in_(ids))
        )
        for event_id, dag_id, run_id in rows:
            runs.setdefault(event_id, []).append({"dag_id": dag_id, "run_id": run_id})
    return [{**e, "created_dagruns": runs.get(e["id"], [])} for e in events]
