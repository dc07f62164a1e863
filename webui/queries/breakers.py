"""The circuit breakers page: every connection's breaker and adaptive throttle, read in the
page's transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from scheduler.breakers import BreakerView
from scheduler.breakers.store import shown_breakers
from scheduler.clock import utcnow
from scheduler.throttle import throttle_rows_in


def breakers(session: Session) -> list[BreakerView]:
    """One view per connection that has a breaker row, by conn_id, in its effective state
    (half-open once the cool-down has passed; the rows are few: one per connection that
    ever had a call end, so no paging)."""
    return shown_breakers(session, utcnow())


def throttles(session: Session) -> list[dict[str, Any]]:
    """One row per connection with adaptive throttling that has had a call, by conn_id."""
    return throttle_rows_in(session)
