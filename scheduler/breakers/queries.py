"""What ``baton breakers`` shows and does: every breaker as a plain dict, and a reset."""

from __future__ import annotations

from typing import Any

from scheduler.breakers import store
from scheduler.breakers.breaker import engine_for
from scheduler.clock import utcnow
from scheduler.errors import BreakerNotFoundError
from scheduler.settings import Settings
from scheduler.store.db import transaction
from scheduler.store.events import process_source


def breaker_rows(settings: Settings) -> list[dict[str, Any]]:
    """One dict per connection that has a breaker row, by conn_id, in its effective state
    (half-open once the cool-down has passed)."""
    with transaction(engine_for(settings.database_url, write=False)) as session:
        views = store.shown_breakers(session, utcnow())
    return [
        {
            "conn_id": v.conn_id,
            "state": v.state,
            "failures": v.consecutive_failures,
            "window_calls": v.window_calls,
            "window_failures": v.window_failures,
            "opened_at": v.opened_at,
            "half_open_at": v.half_open_at,
            "probe_owner": v.probe_owner,
            "last_error": v.last_error,
        }
        for v in views
    ]


def reset_breaker(settings: Settings, conn_id: str, *, source: str | None = None) -> None:
    """Close ``conn_id``'s breaker now (the service is known to be back). ``source`` names
    who did it in the event log (the web UI passes ``webui:<user>``; default: this CLI)."""
    with transaction(engine_for(settings.database_url)) as session:
        who = source or process_source("cli")
        found = store.reset_breaker(session, conn_id, who, utcnow())
    if not found:
        raise BreakerNotFoundError(
            f"connection '{conn_id}' has no circuit breaker yet (no call through it has ended); "
            "`baton breakers list` shows the breakers that exist"
        )
