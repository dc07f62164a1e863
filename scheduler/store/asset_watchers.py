"""Asset watchers in the database: what DAG files declare, and the triggers that run them.

``sync_declared`` (in the DAG sync's transaction) replaces a DAG's watcher rows with what
its latest file declares, keeping a row's trigger when the watcher did not change.
``assign_triggers`` (each triggerer heartbeat) gives every watcher of an active, unpaused
DAG a trigger row (one per asset and watcher, shared by the DAGs that declare the same
one) and takes it from watchers of paused or inactive DAGs, as Airflow does; the trigger
then goes with ``triggers.clean_unused`` and its triggerer stops it. Triggers are claimed
and run like a deferred task's (``store/triggers.py``), so a watcher survives a
triggerer kill -9 the same way.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, insert, select, update
from sqlalchemy.orm import Session

from scheduler.spec import DagSpec
from scheduler.store.models import dag_table
from scheduler.store.models_assets import asset_table, watcher_table
from scheduler.store.models_triggers import trigger_table

w = watcher_table


def sync_declared(
    session: Session,
    specs: Sequence[DagSpec],
    asset_ids: dict[str, int],
    *,
    new: Collection[str] = (),
) -> None:
    """Make the ``asset_watcher`` rows of these DAGs what their specs declare (``new``: DAGs
    stored for the first time, which have none yet)."""
    dag_ids = [spec.dag_id for spec in specs if spec.dag_id not in new]
    stored = (
        {
            (r.dag_id, r.asset_id, r.name): _same(r.classpath, r.kwargs)
            for r in session.execute(select(w).where(w.c.dag_id.in_(dag_ids)))
        }
        if dag_ids
        else {}
    )
    wanted: dict[tuple[str, int, str], dict[str, Any]] = {}
    for spec in specs:
        for watcher in spec.asset_watchers:
            key = (spec.dag_id, asset_ids[watcher["uri"]], watcher["name"])
            wanted[key] = watcher
    gone = [
        key
        for key, same in stored.items()
        if wanted.get(key) is None or _same(wanted[key]["classpath"], wanted[key]["kwargs"]) != same
    ]
    for dag_id, asset_id, name in gone:
        session.execute(
            delete(w).where(w.c.dag_id == dag_id, w.c.asset_id == asset_id, w.c.name == name)
        )
    rows = [
        {
            "dag_id": k[0],
            "asset_id": k[1],
            "name": k[2],
            "classpath": v["classpath"],
            "kwargs": v["kwargs"],
            "trigger_id": None,
        }
        for k, v in wanted.items()
        if k not in stored or k in gone
    ]
    if rows:
        session.execute(insert(w), rows)


def assign_triggers(session: Session, now: datetime) -> int:
    """Start (a trigger row for) each watcher of an active, unpaused DAG that has none and
    stop those of the others; returns how many triggers were created."""
    running = and_(dag_table.c.is_active.is_(True), dag_table.c.is_paused.is_(False))
    watchers = select(
        w.c.dag_id,
        w.c.asset_id,
        w.c.name,
        w.c.classpath,
        w.c.kwargs,
        w.c.trigger_id,
        running.label("running"),  # NULL for a DAG deleted meanwhile: stopped too
    ).outerjoin(dag_table, dag_table.c.dag_id == w.c.dag_id)
    if session.get_bind().dialect.name == "postgresql":
        watchers = watchers.with_for_update(of=w)  # two triggerers: one assigns, one waits
    rows = list(session.execute(watchers))
    shared = {
        (r.asset_id, r.name, _same(r.classpath, r.kwargs)): r.trigger_id
        for r in rows
        if r.running and r.trigger_id is not None
    }
    created = 0
    for row in rows:
        if row.running and row.trigger_id is None:
            key = (row.asset_id, row.name, _same(row.classpath, row.kwargs))
            if key not in shared:
                shared[key] = session.execute(
                    insert(trigger_table)
                    .values(classpath=row.classpath, kwargs=row.kwargs, created_at=now)
                    .returning(trigger_table.c.id)
                ).scalar_one()
                created += 1
            _set_trigger(session, row, shared[key])
        elif not row.running and row.trigger_id is not None:
            _set_trigger(session, row, None)
    return created


def watched_assets(session: Session, trigger_ids: Sequence[int]) -> dict[int, tuple[str, ...]]:
    """trigger id -> the URIs of the assets it watches (only watcher triggers appear)."""
    if not trigger_ids:
        return {}
    rows = session.execute(
        select(w.c.trigger_id, asset_table.c.uri)
        .join(asset_table, asset_table.c.id == w.c.asset_id)
        .where(w.c.trigger_id.in_(list(trigger_ids)))
        .distinct()
    )
    found: dict[int, set[str]] = {}
    for trigger_id, uri in rows:
        found.setdefault(trigger_id, set()).add(uri)
    return {trigger_id: tuple(sorted(uris)) for trigger_id, uris in found.items()}


def watcher_trigger_ids() -> Any:
    """A subquery of the triggers some watcher uses (``clean_unused`` keeps them)."""
    return select(w.c.trigger_id).where(w.c.trigger_id.is_not(None))


def watchers_by_asset(session: Session) -> dict[int, list[dict[str, Any]]]:
    """asset id -> its watchers (name, declaring DAG, the running trigger or None), for the
    Assets page and the REST API."""
    found: dict[int, list[dict[str, Any]]] = {}
    for r in session.execute(select(w).order_by(w.c.name, w.c.dag_id)):
        watcher = {"name": r.name, "dag_id": r.dag_id, "trigger_id": r.trigger_id}
        found.setdefault(r.asset_id, []).append(watcher)
    return found


def _set_trigger(session: Session, row: Any, trigger_id: int | None) -> None:
    session.execute(
        update(w)
        .where(w.c.dag_id == row.dag_id, w.c.asset_id == row.asset_id, w.c.name == row.name)
        .values(trigger_id=trigger_id)
    )


def _same(classpath: str, kwargs: Any) -> str:
    return classpath + json.dumps(kwargs, sort_keys=True)
