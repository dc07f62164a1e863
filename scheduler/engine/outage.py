"""Riding out a database outage: back off, keep what happened, say so once a second.

When the database stops answering (PostgreSQL restarted or its connections cut, a full
disk under SQLite) the scheduler keeps going: executor results and loader news stay in
memory, and every loop pass retries its transaction with a growing backoff (as Airflow's
``run_with_db_retries``). When a transaction succeeds again, the mirror is rebuilt from the
database and everything kept is written. Past ``BATON_DB_OUTAGE_LIMIT`` seconds the
scheduler gives up with one line; the tries it ran are then recovered by the next
scheduler like any other lost try.
"""

from __future__ import annotations

import logging

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from scheduler.errors import BatonError

log = logging.getLogger("baton.scheduler")

BACKOFF_START_S = 0.1
BACKOFF_MAX_S = 2.0
LOG_EVERY_S = 1.0


class DatabaseUnavailableError(BatonError):
    """The database stayed out of reach for longer than BATON_DB_OUTAGE_LIMIT."""


def is_outage(exc: BaseException) -> bool:
    """Whether ``exc`` says the database is out of reach (or full), rather than that this
    input or this transaction is wrong: the first is waited out, the second isolated."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, OperationalError | InterfaceError | PoolTimeoutError)


def one_line(exc: BaseException) -> str:
    """The driver's message without SQLAlchemy's SQL and background link."""
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class DatabaseOutage:
    """The scheduler's view of an outage in progress (monotonic times, in seconds)."""

    def __init__(self, limit_s: float) -> None:
        self.limit_s = limit_s
        self.since: float | None = None
        self._next_try = 0.0
        self._backoff = BACKOFF_START_S
        self._last_log = float("-inf")
        self._attempts = 0

    @property
    def active(self) -> bool:
        return self.since is not None

    def may_try(self, now: float) -> bool:
        return self.since is None or now >= self._next_try

    def retry_in(self, now: float) -> float:
        """Seconds until the next attempt (0 when there is no outage)."""
        return 0.0 if self.since is None else max(0.0, self._next_try - now)

    def failed(self, exc: BaseException, now: float, kept: int) -> None:
        """Record a failed attempt; raise ``DatabaseUnavailableError`` past the limit."""
        if self.since is None:
            self.since, self._backoff, self._attempts = now, BACKOFF_START_S, 0
        self._attempts += 1
        self._next_try = now + self._backoff
        self._backoff = min(self._backoff * 2, BACKOFF_MAX_S)
        down = now - self.since
        if down > self.limit_s:
            raise DatabaseUnavailableError(
                f"the database has been unreachable for {down:.0f} s, longer than "
                f"BATON_DB_OUTAGE_LIMIT={self.limit_s:g}: {one_line(exc)}; the scheduler "
                f"stops ({kept} result(s) not recorded; the next scheduler re-runs those "
                "tries). Check the database, then start the scheduler again"
            )
        if now - self._last_log >= LOG_EVERY_S:
            self._last_log = now
            log.warning(
                "database unavailable for %.1f s (%d failed attempt(s)): %s; retrying, "
                "%d result(s) kept in memory",
                down,
                self._attempts,
                one_line(exc),
                kept,
            )

    def recovered(self, now: float) -> None:
        if self.since is not None:
            log.warning(
                "database reachable again after %.1f s (%d failed attempt(s)); results written",
                now - self.since,
                self._attempts,
            )
        self.since = None
        self._last_log = float("-inf")
