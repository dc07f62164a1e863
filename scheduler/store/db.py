"""Database engines and sessions, tuned per back end.

SQLite runs in WAL mode so readers (CLI, web UI, workers pulling XCom) never block the
scheduler's writes; write transactions start with ``BEGIN IMMEDIATE`` so two writers queue on
the busy timeout instead of failing on a lock upgrade.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from scheduler.errors import ConfigError

_SQLITE_BUSY_TIMEOUT_MS = 30_000
# What a database out of reach (or full) raises: waited out, not treated as a bad input.
DB_ERRORS = (OperationalError, InterfaceError)
DB_RETRY_LIMIT_S = 300.0
T = TypeVar("T")
log = logging.getLogger("baton.store")


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def sqlite_file(url: str) -> Path | None:
    """The database file of a SQLite URL; None for another back end or an in-memory one."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database).resolve()


def make_engine(url: str, *, write: bool = True) -> Engine:
    """An engine for ``url``; ``write=False`` gives SQLite readers deferred transactions."""
    try:
        parsed = make_url(url)
    except Exception as exc:
        raise ConfigError(
            f"BATON_DATABASE_URL={url!r} is not a database URL ({exc}); "
            "use e.g. sqlite:////path/baton.db or postgresql+psycopg://user@host/db"
        ) from None
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, future=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
    _tune_sqlite(engine, begin="BEGIN IMMEDIATE" if write else "BEGIN")
    return engine


def _tune_sqlite(engine: Engine, begin: str) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves, below
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")  # durable across process crashes in WAL
        cursor.execute(f"PRAGMA busy_timeout={_SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql(begin)


def session_maker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    with Session(engine, expire_on_commit=False) as session, session.begin():
        yield session


def with_db_retries(
    engine: Engine,
    work: Callable[[Session], T],
    *,
    what: str,
    limit_s: float = DB_RETRY_LIMIT_S,
) -> T:
    """Run ``work`` in one transaction, again with a growing backoff (0.1 s doubling to
    2 s) while the database is out of reach, for up to ``limit_s`` (as Airflow's
    ``run_with_db_retries``). Logs once a second at most; re-raises past the limit."""
    started = time.monotonic()
    backoff, logged = 0.1, float("-inf")
    while True:
        try:
            with transaction(engine) as session:
                return work(session)
        except DB_ERRORS as exc:
            waited = time.monotonic() - started
            if waited > limit_s:
                raise
            if time.monotonic() - logged >= 1.0:
                logged = time.monotonic()
                reason = str(getattr(exc, "orig", exc)).strip().splitlines()[:1]
                log.warning(
                    "cannot %s (database unavailable for %.1f s): %s; retrying",
                    what,
                    waited,
                    reason[0] if reason else type(exc).__name__,
                )
            time.sleep(backoff)
            backoff = min(backoff * 2, 2.0)
