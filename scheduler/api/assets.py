"""Assets: list them, read their events, post an event from outside (the REST API and
``baton assets event``), and the events behind an asset-triggered run.

An external event is stored and queued for the DAGs scheduled on its asset in one short
transaction, then the scheduler is poked: it creates the consumer runs whose condition now
holds (``scheduler/engine/assets.py``).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from scheduler.api.databases import database, read_database
from scheduler.clock import utcnow
from scheduler.engine.wakeup import wake_schedulers
from scheduler.errors import InvalidAssetEventError
from scheduler.paging import Page
from scheduler.settings import Settings
from scheduler.store import asset_queries
from scheduler.store import assets as asset_store
from scheduler.store.db import transaction
from scheduler.store.events import process_source
from scheduler.store.models_assets import asset_table

_MAX_EXTRA_BYTES = 65536  # an event's extra is metadata, not the data itself


def list_assets(settings: Settings) -> list[dict[str, Any]]:
    """Every asset, with the tasks producing it, the DAGs scheduled on it, its last event."""
    with transaction(read_database(settings)) as session:
        return asset_queries.list_assets(session)


def list_aliases(settings: Settings) -> list[dict[str, Any]]:
    with transaction(read_database(settings)) as session:
        return asset_queries.list_aliases(session)


def list_asset_events(
    settings: Settings,
    *,
    asset_id: int | None = None,
    uri: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page[dict[str, Any]]:
    """A page of events newest first (of one asset if named by id or URI); its total counts
    them all."""
    with transaction(read_database(settings)) as session:
        if asset_id is not None or uri is not None:
            asset_id = asset_queries.get_asset_id(session, asset_id=asset_id, uri=uri)
        events, total = asset_queries.list_events(
            session, asset_id=asset_id, limit=limit, offset=offset
        )
    return Page(offset, limit, total, events)


def create_asset_event(
    settings: Settings,
    *,
    asset_id: int | None = None,
    uri: str | None = None,
    extra: Any = None,
    source: str | None = None,
) -> dict[str, Any]:
    """Record an event of an existing asset (by id or URI) from outside, as Airflow's
    ``POST /assets/events``; returns it. The consumers' runs follow at once."""
    extra = _checked_extra(extra)
    now = utcnow()
    who = source or process_source("cli")
    with transaction(database(settings)) as session:
        found = asset_queries.get_asset_id(session, asset_id=asset_id, uri=uri)
        asset_uri = session.execute(
            select(asset_table.c.uri).where(asset_table.c.id == found)
        ).scalar_one()
        event = asset_store.NewAssetEvent(uri=asset_uri, extra=extra, external_source=who)
        (event_id,) = asset_store.record_events(session, [event], now)
        created, _ = asset_queries.list_events(session, asset_id=found, limit=1)
    wake_schedulers(settings)
    return next((e for e in created if e["id"] == event_id), created[0])


def triggering_events_of_run(settings: Settings, dag_id: str, run_id: str) -> list[dict[str, Any]]:
    """The asset events that created run ``dag_id/run_id`` (empty unless asset-triggered):
    for the run page and the REST API."""
    with transaction(read_database(settings)) as session:
        return asset_queries.triggering_events(session, dag_id, run_id)


def _checked_extra(extra: Any) -> dict[str, Any]:
    if extra is None:
        return {}
    if not isinstance(extra, dict):
        raise InvalidAssetEventError(
            f"an asset event's extra must be a JSON object, got {type(extra).__name__}; "
            "pass e.g. --extra '{\"rows\": 42}'"
        )
    size = len(json.dumps(extra))
    if size > _MAX_EXTRA_BYTES:
        raise InvalidAssetEventError(
            f"an asset event's extra is {size} bytes of JSON; at most {_MAX_EXTRA_BYTES} fit "
            "(put the data somewhere and its location in extra)"
        )
    return extra
