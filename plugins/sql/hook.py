"""``SqlHook``: run SQL on a connection's database through SQLAlchemy (Airflow's DbApiHook).

Connection types map to SQLAlchemy drivers: ``postgres`` → ``postgresql+psycopg``,
``mysql``/``mariadb`` → ``mysql+pymysql``, ``sqlite`` → ``sqlite`` (the host or schema is
the file). Bind parameters are named, ``:name`` in the SQL and ``{"name": value}`` in
``parameters``, the same on every database (SQLAlchemy's ``text()``).

Connecting goes through the connection's circuit breaker: a database that cannot be
reached counts as a failure, a bad query never does. Each statement of ``run`` first waits
for a token of the connection's ``rate_limit`` extra, when it has one (``scheduler.ratelimit``),
or on a connection with ``{"adaptive": true}`` for its turn at the adaptive rate, which a
database that is busy (too many connections, lock or statement timeouts, a dropped
connection) lowers — and so does a lasting rise in latency, when the connection sets its
own ``adaptive_latency_factor`` (``scheduler.throttle``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection as SaConnection
from sqlalchemy import CursorResult, Engine, create_engine, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.pool import NullPool

from plugins.sql.statements import split_sql
from scheduler.breakers import CircuitBreaker
from scheduler.connections import BaseHook, Connection
from scheduler.errors import BatonError

DRIVERS = {
    "postgres": "postgresql+psycopg",
    "postgresql": "postgresql+psycopg",
    "mysql": "mysql+pymysql",
    "mariadb": "mysql+pymysql",
    "sqlite": "sqlite",
}

Handler = Callable[["ResultCursor"], Any]


class SqlError(BatonError):
    """SQL cannot run as asked: an unknown connection type, parameters of the wrong shape."""


class ResultCursor:
    """What a ``handler`` receives: a DB-API-like view of one statement's result."""

    def __init__(self, result: CursorResult[Any]) -> None:
        self._result = result
        self.description = result.cursor.description if result.returns_rows else None
        self.rowcount = result.rowcount

    @property
    def columns(self) -> list[str]:
        return list(self._result.keys()) if self.description else []

    def fetchall(self) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in self._result.fetchall()]

    def fetchmany(self, size: int) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in self._result.fetchmany(size)]

    def fetchone(self) -> tuple[Any, ...] | None:
        row = self._result.fetchone()
        return tuple(row) if row is not None else None


def fetch_all_handler(cursor: ResultCursor) -> list[tuple[Any, ...]] | None:
    """All rows of a statement that returns rows, else None (Airflow's default handler)."""
    return cursor.fetchall() if cursor.description is not None else None


def fetch_one_handler(cursor: ResultCursor) -> tuple[Any, ...] | None:
    return cursor.fetchone() if cursor.description is not None else None


class SqlHook(BaseHook):
    """Run SQL on ``conn_id``'s database; ``run``, ``get_records`` and ``get_first``."""

    conn_name_attr = "conn_id"
    default_conn_name = "sql_default"
    conn_type = "sql"
    hook_name = "SQL (PostgreSQL, MySQL/MariaDB, SQLite)"

    def __init__(self, conn_id: str = default_conn_name) -> None:
        super().__init__()
        self.conn_id = conn_id
        self._conn: Connection | None = None
        self._engine: Engine | None = None

    @property
    def connection(self) -> Connection:
        if self._conn is None:
            self._conn = self.get_connection(self.conn_id)
        return self._conn

    def get_uri(self) -> URL:
        """The SQLAlchemy URL of the connection (render it with ``hide_password=True``)."""
        conn = self.connection
        driver = DRIVERS.get((conn.conn_type or "").lower())
        if driver is None:
            raise SqlError(
                f"connection '{conn.conn_id}' has conn_type {conn.conn_type!r}, which SqlHook "
                f"cannot reach; use one of {', '.join(sorted(DRIVERS))}"
            )
        if driver == "sqlite":
            return URL.create("sqlite", database=conn.host or conn.schema)
        return URL.create(
            driver,
            username=conn.login,
            password=conn.password,
            host=conn.host,
            port=conn.port,
            database=conn.schema,
        )

    def get_sqlalchemy_engine(self) -> Engine:
        """One engine per hook, without a pool: a task opens what it uses and closes it."""
        if self._engine is None:
            self._engine = create_engine(self.get_uri(), poolclass=NullPool)
        return self._engine

    def get_conn(self) -> Any:
        """A raw DB-API connection (Airflow's ``get_conn``); close it when done."""
        return self.get_sqlalchemy_engine().raw_connection()

    @contextmanager
    def connect(self, autocommit: bool = False) -> Iterator[SaConnection]:
        """A SQLAlchemy connection through the breaker; committed at the end unless it fails."""
        breaker = CircuitBreaker.for_connection(self.connection)
        with breaker.guard(is_failure=_unreachable):  # connecting is what the breaker judges
            connection = self.get_sqlalchemy_engine().connect()
        with connection as sa:
            if autocommit:
                sa = sa.execution_options(isolation_level="AUTOCOMMIT")
            with sa.begin():
                yield sa

    def run(
        self,
        sql: str | Sequence[str],
        autocommit: bool = False,
        parameters: Mapping[str, Any] | None = None,
        handler: Handler | None = None,
        split_statements: bool = False,
        return_last: bool = True,
    ) -> Any:
        """Run ``sql``; with a ``handler``, its result for the last statement (or a list of
        them, one per statement, when ``return_last=False``), as in Airflow."""
        statements = _statements(sql, split_statements)
        params = _checked_parameters(parameters)
        results: list[Any] = []
        # Statements differ in cost by design (a report query is not an overload): their
        # latency is judged only when the connection asks for it with its own factor.
        judge_latency = "adaptive_latency_factor" in self.connection.extra_dejson
        with self.connect(autocommit) as sa:
            for statement in statements:
                self.log.info("Running statement: %s, parameters: %s", statement, params or None)
                # each statement is one call: it waits for its turn, and an operational
                # error (too many connections, a lock timeout) or a slow answer slows the pace
                with self.throttled_call(
                    self.connection, is_overload=_overloaded, judge_latency=judge_latency
                ):
                    result = sa.execute(text(statement), params)
                    if handler is not None:
                        results.append(handler(ResultCursor(result)))
                    result.close()
        if handler is None:
            return None
        return results[-1] if return_last and results else results

    def test_connection(self) -> tuple[bool, str]:
        """Run ``SELECT 1`` (``baton connections test``)."""
        self.get_first("SELECT 1")
        url = self.get_uri().render_as_string(hide_password=True)
        return True, f"connected to {url} and ran SELECT 1"

    def get_records(self, sql: str, parameters: Mapping[str, Any] | None = None) -> list[Any]:
        return self.run(sql, parameters=parameters, handler=fetch_all_handler) or []

    def get_first(self, sql: str, parameters: Mapping[str, Any] | None = None) -> Any:
        return self.run(sql, parameters=parameters, handler=fetch_one_handler)


def _statements(sql: str | Sequence[str], split: bool) -> list[str]:
    items = [sql] if isinstance(sql, str) else list(sql)
    statements = [s for item in items for s in (split_sql(item) if split else [item.strip()])]
    statements = [s for s in statements if s]
    if not statements:
        raise SqlError(f"no SQL statement to run in {sql!r}; give a query or a .sql file")
    return statements


def _checked_parameters(parameters: Mapping[str, Any] | None) -> dict[str, Any]:
    if parameters is None:
        return {}
    if not isinstance(parameters, Mapping):
        raise SqlError(
            f"parameters={parameters!r} must be a dict of named bind parameters, used as "
            ":name in the SQL, e.g. sql='... WHERE id = :id', parameters={'id': 7}"
        )
    return dict(parameters)


def _unreachable(exc: BaseException) -> bool:
    return isinstance(exc, OperationalError | InterfaceError)


# What a database says when it is too busy, not when the query is wrong (a missing table is
# an OperationalError on SQLite too, and must not slow anyone down).
_BUSY_WORDS = (
    "too many",
    "timeout",
    "timed out",
    "lock",
    "busy",
    "closed",
    "terminat",
    "could not connect",
    "connection refused",
    "server has gone away",
)


def _overloaded(exc: BaseException) -> bool:
    """Whether a statement's error means the database is overloaded (see ``_BUSY_WORDS``)."""
    if isinstance(exc, InterfaceError):
        return True
    if not isinstance(exc, OperationalError):
        return False
    if exc.connection_invalidated:
        return True
    message = str(exc.orig or exc).lower()
    return any(word in message for word in _BUSY_WORDS)
