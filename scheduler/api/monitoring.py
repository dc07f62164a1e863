"""The event log and the scheduler's health."""

from __future__ import annotations

from typing import Any

from scheduler.api.cluster import health_report
from scheduler.api.databases import database, read_database
from scheduler.clock import utcnow
from scheduler.paging import Page
from scheduler.settings import Settings
from scheduler.store import pages as page_store
from scheduler.store.db import transaction
from scheduler.store.events import Event, append_events
from scheduler.store.models import (
    EventRow,
)


def record_event(settings: Settings, event: str, source: str, **fields: Any) -> None:
    """Append one user action to the event log (e.g. a login, a token created)."""
    with transaction(database(settings)) as session:
        append_events(session, [Event(event, utcnow(), source, **fields)])


def events_page(
    settings: Settings, *, filters: dict[str, str | None], limit: int, offset: int
) -> Page[EventRow]:
    with transaction(read_database(settings)) as session:
        return page_store.events_page(session, filters=filters, limit=limit, offset=offset)


def scheduler_health(settings: Settings) -> dict[str, Any]:
    """The public health report (Airflow's shape): the database and the latest scheduler."""
    return health_report(settings)
