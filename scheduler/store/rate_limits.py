"""Token buckets in the database: every process takes from the same row (one transaction).

``take`` locks the bucket's row — ``SELECT ... FOR UPDATE`` on PostgreSQL and MySQL, the
write lock of SQLite's ``BEGIN IMMEDIATE`` (``store.db``) — refills it for the time since
``updated_at``, and takes one token. An empty bucket is not refused: the taker reserves the
next token due (``tokens`` goes below zero) and is told how long to sleep for it, so each
waiter is served in the order it asked, with one short transaction, and nobody polls. A
reservation longer than the caller's ``max_wait_s`` is not made at all.

On PostgreSQL the time is the server's (``clock_timestamp()``), so schedulers and workers on
machines whose clocks disagree still share one timeline; elsewhere it is the caller's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from scheduler.store.insert_missing import insert_if_missing
from scheduler.store.models_rate_limits import rate_limit_bucket_table as table

CONNECTION = "connection"
POOL = "pool"
ADAPTIVE = "adaptive"  # a connection's adaptive rate (``scheduler.throttle``)


@dataclass(frozen=True)
class Taken:
    """The outcome of one ``take``: ``wait_s`` until the token is due (0: now), or refused."""

    granted: bool
    wait_s: float
    tokens: float  # left in the bucket after this take (negative: reserved ahead)


def take(
    session: Session,
    kind: str,
    name: str,
    *,
    rate: float,
    burst: float,
    max_wait_s: float,
    now: datetime | None = None,
) -> Taken:
    """Take (or reserve) one token of bucket ``(kind, name)`` refilling at ``rate`` per second.

    The row's rate and burst follow the caller's, so a changed limit applies from the next
    take on. Not granted when the token would be due in more than ``max_wait_s``.
    """
    tokens, stamp = _refilled(session, kind, name, rate, burst, now)
    wait_s = 0.0 if tokens >= 1 else (1 - tokens) / rate
    if wait_s > max_wait_s:
        return Taken(False, wait_s, tokens)
    tokens -= 1
    _store(session, kind, name, tokens, stamp, rate, burst)
    return Taken(True, wait_s, tokens)


def postpone(
    session: Session,
    kind: str,
    name: str,
    *,
    rate: float,
    burst: float,
    seconds: float,
    now: datetime | None = None,
) -> None:
    """Make the bucket's next token due no sooner than ``seconds`` from now (a service's
    ``Retry-After``): later takers queue behind it at ``rate``, not all at once."""
    tokens, stamp = _refilled(session, kind, name, rate, burst, now)
    _store(session, kind, name, min(tokens, 1 - rate * seconds), stamp, rate, burst)


def _refilled(
    session: Session, kind: str, name: str, rate: float, burst: float, now: datetime | None
) -> tuple[float, datetime]:
    """The bucket's tokens refilled up to now, with its row locked, and the time to store."""
    _insert_if_missing(session, kind, name, rate, burst, now or database_now(session))
    row = session.execute(
        select(table.c.tokens, table.c.updated_at)
        .where(table.c.kind == kind, table.c.name == name)
        .with_for_update()
    ).one()
    now = now or database_now(session)  # read once the lock is held, not before its wait
    elapsed = max((now - row.updated_at).total_seconds(), 0.0)  # a clock behind never refunds
    return min(burst, row.tokens + elapsed * rate), max(now, row.updated_at)


def _store(
    session: Session,
    kind: str,
    name: str,
    tokens: float,
    stamp: datetime,
    rate: float,
    burst: float,
) -> None:
    session.execute(
        update(table)
        .where(table.c.kind == kind, table.c.name == name)
        .values(tokens=tokens, updated_at=stamp, rate=rate, burst=burst)
    )


def database_now(session: Session) -> datetime:
    """The server's clock on PostgreSQL (one round trip); this process's clock elsewhere."""
    if session.get_bind().dialect.name == "postgresql":
        value = session.execute(select(func.clock_timestamp())).scalar_one()
        return value.astimezone(UTC)
    return datetime.now(UTC)


def read_bucket(session: Session, kind: str, name: str) -> dict[str, object] | None:
    row = session.execute(select(table).where(table.c.kind == kind, table.c.name == name)).first()
    return dict(row._mapping) if row is not None else None


def forget_bucket(session: Session, kind: str, name: str) -> None:
    """Drop the row: the next take starts from a full bucket (a pool or connection removed)."""
    session.execute(delete(table).where(table.c.kind == kind, table.c.name == name))


def _insert_if_missing(
    session: Session, kind: str, name: str, rate: float, burst: float, now: datetime
) -> None:
    """A full bucket, unless another process created the row first."""
    values = {"kind": kind, "name": name, "tokens": burst, "updated_at": now}
    values |= {"rate": rate, "burst": burst}
    insert_if_missing(session, table, values, lambda: read_bucket(session, kind, name) is not None)
