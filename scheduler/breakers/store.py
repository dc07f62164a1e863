"""Breaker rows in the database: functions that take a session (one transaction each).

Every process reads and writes the same ``circuit_breaker`` row, so the breaker is shared
by all workers and schedulers. Writers serialise on the row: SQLite's ``BEGIN IMMEDIATE``
(see ``store.db``) and ``SELECT ... FOR UPDATE`` elsewhere. The probe of a half-open
breaker is claimed with a conditional ``UPDATE``: of two processes racing for it, exactly
one sees its row count be 1. Every state change appends a ``breaker`` event.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.orm import Session

from scheduler.breakers.policy import BreakerPolicy
from scheduler.breakers.transitions import (
    HALF_OPEN,
    OPEN,
    BreakerView,
    after_outcome,
    claimed,
    reset,
    shown,
)
from scheduler.store.events import Event, append_events
from scheduler.store.insert_missing import insert_if_missing
from scheduler.store.models_breakers import circuit_breaker_table as table
from scheduler.store.sqlmodel_boundary import execute_write

EVENT = "breaker"


def read_breaker(session: Session, conn_id: str) -> BreakerView | None:
    row = session.execute(select(table).where(table.c.conn_id == conn_id)).first()
    return BreakerView.from_row(row) if row is not None else None


def list_breakers(session: Session) -> list[BreakerView]:
    rows = session.execute(select(table).order_by(table.c.conn_id))
    return [BreakerView.from_row(row) for row in rows]


def shown_breakers(session: Session, now: datetime) -> list[BreakerView]:
    """Every breaker in its effective state at ``now`` (what the CLI and the web UI show)."""
    return [shown(view, now) for view in list_breakers(session)]


def record_outcome(
    session: Session,
    conn_id: str,
    policy: BreakerPolicy,
    *,
    ok: bool,
    owner: str,
    now: datetime,
    error: str | None = None,
) -> BreakerView:
    """Count one call's outcome; open or close the breaker when that is the consequence."""
    before = _locked(session, conn_id, now)
    after = after_outcome(before, policy, now, ok, owner, error)
    _write(session, after, now)
    _log_change(session, before, after, now, owner)
    return after


def claim_probe(
    session: Session, conn_id: str, policy: BreakerPolicy, owner: str, now: datetime
) -> bool:
    """Make ``owner`` the one process probing the service; False if another got it first."""
    due = and_(
        table.c.state == OPEN, or_(table.c.half_open_at.is_(None), table.c.half_open_at <= now)
    )
    stale_before = now - timedelta(seconds=policy.probe_timeout_s)
    stale = and_(
        table.c.state == HALF_OPEN,
        or_(table.c.probe_started_at.is_(None), table.c.probe_started_at <= stale_before),
    )
    before = read_breaker(session, conn_id)
    statement = (
        update(table)
        .where(table.c.conn_id == conn_id, or_(due, stale))
        .values(state=HALF_OPEN, probe_owner=owner, probe_started_at=now, updated_at=now)
    )
    if execute_write(session, statement).rowcount != 1:
        return False
    if before is not None:
        _log_change(session, before, claimed(before, owner, now), now, owner)
    return True


def reset_breaker(session: Session, conn_id: str, source: str, now: datetime) -> bool:
    """Close ``conn_id``'s breaker with clean counts; False if it has no row."""
    before = read_breaker(session, conn_id)
    if before is None:
        return False
    after = reset(before, now)
    _write(session, after, now)
    _log_change(session, before, after, now, source)
    return True


def forget_breaker(session: Session, conn_id: str) -> None:
    """Remove the row (tests, and connections that no longer exist)."""
    session.execute(delete(table).where(table.c.conn_id == conn_id))


def _locked(session: Session, conn_id: str, now: datetime) -> BreakerView:
    """The row, created if missing, locked until the transaction ends."""
    _insert_if_missing(session, conn_id, now)
    row = session.execute(select(table).where(table.c.conn_id == conn_id).with_for_update()).one()
    return BreakerView.from_row(row)


def _insert_if_missing(session: Session, conn_id: str, now: datetime) -> None:
    """A closed breaker, unless another process created the row first."""
    values = {"conn_id": conn_id, "updated_at": now}
    insert_if_missing(session, table, values, lambda: read_breaker(session, conn_id) is not None)


def _write(session: Session, view: BreakerView, now: datetime) -> None:
    session.execute(
        update(table).where(table.c.conn_id == view.conn_id).values(**view.values(), updated_at=now)
    )


def _log_change(
    session: Session, before: BreakerView, after: BreakerView, now: datetime, source: str
) -> None:
    if before.state == after.state:
        return
    event = Event(
        event=EVENT,
        ts=now,
        source=source,
        old_state=before.state,
        new_state=after.state,
        detail=before.conn_id,
    )
    append_events(session, [event])
