"""Which failed transactions are expected races between writers, not faults.

With several schedulers on PostgreSQL (and the CLI or the web UI writing beside one), two
writers may act on the same row at the same moment; the loser's transaction fails and it
reloads what changed and decides again. That is the coordination working, so it is worth
one INFO line, not an ERROR traceback. Everything else stays an ERROR.
"""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError

from scheduler.errors import ConcurrentChangeError

RACE_SQLSTATES = frozenset({"40001", "40P01", "23505", "55P03"})
"""PostgreSQL: serialization failure, deadlock, unique violation (two writers inserting the
same run or instance), lock not available (``NOWAIT``)."""


def is_expected_race(exc: BaseException) -> bool:
    """Whether ``exc`` is another writer having been first (see the module docstring)."""
    if isinstance(exc, ConcurrentChangeError):
        return True
    if isinstance(exc, DBAPIError):
        original = exc.orig
        state = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
        if state in RACE_SQLSTATES:
            return True
        return "database is locked" in str(original)  # SQLite: a CLI write held the lock
    return False


def describe_race(exc: BaseException) -> str:
    """One line saying what was raced for (a database error's first line, no SQL)."""
    text = str(exc.orig) if isinstance(exc, DBAPIError) else str(exc)
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return first[:300]
