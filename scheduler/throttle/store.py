"""Throttle rows in the database: functions that take a session (one transaction each).

Every process reads and writes the same ``adaptive_throttle`` row, so what one worker learns
from a 429 slows every worker and scheduler. Calls are paced by the connection's bucket of
kind ``adaptive`` in ``rate_limit_bucket`` (``store.rate_limits``), refilling at the row's
``rate``; a ``Retry-After`` postpones that bucket, so waiting callers resume one by one.
Each decrease and each recovery to the full rate appends a ``throttle`` event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from scheduler.store import rate_limits
from scheduler.store.events import Event, append_events
from scheduler.store.insert_missing import insert_if_missing
from scheduler.store.models_throttle import adaptive_throttle_table as table
from scheduler.throttle.aimd import FULL, Outcome, ThrottleView, after_outcome, configured, fresh
from scheduler.throttle.policy import ThrottlePolicy

EVENT = "throttle"
BURST = 1.0  # calls are spread evenly at the adaptive rate


@dataclass(frozen=True)
class Turn:
    """A caller's place in the connection's pace: ``wait_s`` from ``now`` (database time)."""

    granted: bool
    wait_s: float
    now: datetime
    rate: float

    @property
    def starts_at(self) -> datetime:
        return self.now + timedelta(seconds=self.wait_s)


def take_turn(session: Session, conn_id: str, policy: ThrottlePolicy, max_wait_s: float) -> Turn:
    """Reserve the connection's next call at its adaptive rate (not granted past
    ``max_wait_s``, and then nothing is reserved)."""
    now = rate_limits.database_now(session)
    view = configured(_read_or_create(session, conn_id, policy, now), policy)
    paused_s = 0.0
    if view.paused_until is not None and view.paused_until > now:
        paused_s = (view.paused_until - now).total_seconds()
    taken = rate_limits.take(
        session,
        rate_limits.ADAPTIVE,
        conn_id,
        rate=view.rate,
        burst=BURST,
        max_wait_s=max(max_wait_s, 0.0) if paused_s <= max_wait_s else -1.0,
        now=now,
    )
    return Turn(taken.granted, max(taken.wait_s, paused_s), now, view.rate)


def paused_until(session: Session, conn_id: str) -> datetime | None:
    """When the connection's Retry-After pause ends (None: no pause)."""
    return session.execute(
        select(table.c.paused_until).where(table.c.conn_id == conn_id)
    ).scalar_one_or_none()


def record_outcome(
    session: Session, conn_id: str, policy: ThrottlePolicy, outcome: Outcome, source: str
) -> ThrottleView:
    """Count one call's outcome: raise or lower the rate, pause for a Retry-After."""
    now = rate_limits.database_now(session)
    _read_or_create(session, conn_id, policy, now)
    row = session.execute(select(table).where(table.c.conn_id == conn_id).with_for_update()).one()
    before = ThrottleView.from_row(row)
    after = after_outcome(before, policy, outcome, now)
    session.execute(
        update(table).where(table.c.conn_id == conn_id).values(**after.values(), updated_at=now)
    )
    if after.paused_until != before.paused_until and after.paused_until is not None:
        seconds = (after.paused_until - now).total_seconds()
        rate_limits.postpone(
            session, rate_limits.ADAPTIVE, conn_id, rate=after.rate, burst=BURST,
            seconds=seconds, now=now,
        )  # fmt: skip
    _log_change(session, before, after, now, source)
    return after


def list_throttles(session: Session) -> list[ThrottleView]:
    rows = session.execute(select(table).order_by(table.c.conn_id))
    return [ThrottleView.from_row(row) for row in rows]


def read_throttle(session: Session, conn_id: str) -> ThrottleView | None:
    row = session.execute(select(table).where(table.c.conn_id == conn_id)).first()
    return ThrottleView.from_row(row) if row is not None else None


def _read_or_create(
    session: Session, conn_id: str, policy: ThrottlePolicy, now: datetime
) -> ThrottleView:
    view = read_throttle(session, conn_id)
    if view is not None:
        return view
    first = fresh(conn_id, policy, now)
    values = {"conn_id": conn_id, **first.values(), "updated_at": now}
    insert_if_missing(session, table, values, lambda: read_throttle(session, conn_id) is not None)
    return read_throttle(session, conn_id) or first


def _log_change(
    session: Session, before: ThrottleView, after: ThrottleView, now: datetime, source: str
) -> None:
    """One event per decrease, and one when the rate is back at its max."""
    old, new = before.state(now), after.state(now)
    if after.decreased_at != before.decreased_at:
        pause = ""
        if after.paused_until is not None and after.paused_until > now:
            pause = f", paused {(after.paused_until - now).total_seconds():.1f} s (Retry-After)"
        detail = (
            f"connection '{after.conn_id}': {_rate(before.rate)} -> {_rate(after.rate)} "
            f"after {after.last_signal}{pause}"
        )
    elif new == FULL and old != FULL:
        detail = f"connection '{after.conn_id}': back at its full rate {_rate(after.rate)}"
    else:
        return
    event = Event(event=EVENT, ts=now, source=source, old_state=old, new_state=new, detail=detail)
    append_events(session, [event])


def _rate(per_second: float) -> str:
    return f"{per_second:.3g}/s"
