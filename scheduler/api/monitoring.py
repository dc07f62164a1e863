"""The event log and the scheduler's health."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import text

from scheduler.api.databases import database, read_database
from scheduler.engine.driver import utcnow
from scheduler.settings import Settings, mask_url_password
from scheduler.store import jobs as job_store
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
) -> tuple[list[EventRow], int]:
    with transaction(read_database(settings)) as session:
        return page_store.events_page(session, filters=filters, limit=limit, offset=offset)


def scheduler_health(settings: Settings) -> dict[str, Any]:
    """The scheduler's liveness (latest heartbeat) and whether the database answers."""
    now = utcnow()
    try:
        with transaction(read_database(settings)) as session:
            session.execute(text("SELECT 1"))
            job = job_store.latest_heartbeat(session)
    except Exception as exc:  # any failure here *is* the answer: the database is unhealthy
        reason = f"{type(exc).__name__}: {mask_url_password(str(exc))}"[:300]
        return {
            "scheduler": {"status": "unknown", "latest_heartbeat": None, "heartbeat_age_s": None},
            "database": {"status": "unhealthy", "error": reason},
        }
    threshold = timedelta(seconds=settings.scheduler_health_threshold)
    alive = job_store.is_alive(job, now, threshold)
    return {
        "scheduler": {
            "status": "healthy" if alive else "unhealthy",
            "latest_heartbeat": job.last_heartbeat.isoformat() if job else None,
            "heartbeat_age_s": round((now - job.last_heartbeat).total_seconds(), 3)
            if job
            else None,
        },
        "database": {"status": "healthy"},
    }
