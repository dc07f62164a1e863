"""The test matrix's databases: a SQLite file, or a PostgreSQL schema of each test's own.

A PostgreSQL test gets a schema of its own in database ``test`` (the URL sets its
``search_path``), migrated by the real migration and dropped with everything in it
afterwards, so tests running at the same time never see each other's rows. (A database per
test, copied from a migrated template, was measured and dropped: 0.4 s on an idle machine
but 1.2-8 s with the shared machine busy, as the copy writes the whole catalog to the WAL;
a schema plus the migration took 1.0-2.1 s under the same load.)

A server that cannot be reached is a failure naming the server and the fix, never a skip:
CI has PostgreSQL, Redis and RabbitMQ, and a matrix that skips quietly tests nothing.
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import socket
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from scheduler.store.db import make_engine
from scheduler.store.migrate import migrate

#: The database the PostgreSQL side of the matrix makes its schemas in (SQLAlchemy URL).
POSTGRES = os.environ.get(
    "BATON_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)

BACKENDS = ("sqlite", "postgres")


def migrated_sqlite(folder: Path) -> str:
    """A SQLite file ``folder/baton.db`` migrated as ``baton db migrate`` does; its URL.

    The real migration runs once per test process, into a template that each test then
    copies: a few milliseconds, against 150-250 ms for a migration per test. The template's
    engine is disposed before any copy, so its write-ahead log is checkpointed into the file.
    """
    target = folder / "baton.db"
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_sqlite_template(), target)
    return f"sqlite:///{target}"


def migrate_database(url: str, home: Path) -> None:
    """Migrate ``url`` as ``baton db migrate`` does (tests/cli/test_db_migrate.py runs the
    command itself), in this process: the default ``home/baton.db`` from the template."""
    if url == f"sqlite:///{home / 'baton.db'}":
        migrated_sqlite(home)
        return
    engine = make_engine(url)
    try:
        migrate(engine)
    finally:
        engine.dispose()


@functools.cache
def _sqlite_template() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="baton-template-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    engine = make_engine(f"sqlite:///{folder / 'template.db'}")
    migrate(engine)
    engine.dispose()
    return folder / "template.db"


def _admin(sql: str) -> None:
    """One statement on the test database, outside any test's schema."""
    admin = create_engine(
        POSTGRES, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5}
    )
    try:
        with admin.connect() as connection:
            connection.execute(text(sql))
        return
    except OperationalError as exc:
        reason = str(exc.orig).strip()
    finally:
        admin.dispose()
    # Outside the except block: the report shows this sentence, not a chained traceback.
    pytest.fail(
        f"PostgreSQL at {admin.url.render_as_string(hide_password=True)} is not reachable "
        f"({reason}). The test matrix runs every Store and Engine test on it: start the "
        "server (CI: the postgres service) or point BATON_TEST_POSTGRES_URL at one.",
        pytrace=False,
    )


@contextmanager
def migrated_postgres() -> Iterator[str]:
    """A migrated schema of its own in the test database, dropped afterwards; its URL."""
    schema = f"baton_test_{uuid.uuid4().hex[:10]}"
    _admin(f'CREATE SCHEMA "{schema}"')
    url = f"{POSTGRES}?options=-csearch_path%3D{schema}"
    try:
        engine = make_engine(url)
        try:
            migrate(engine)
        finally:
            engine.dispose()
        yield url
    finally:
        _admin(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def require_port(service: str, url: str, host: str, port: int) -> None:
    """Fail at once, naming the service, when nothing listens on ``host:port``, instead of
    letting a worker retry its broker connection until a test times out."""
    try:
        socket.create_connection((host, port), timeout=3).close()
    except OSError as exc:
        pytest.fail(
            f"{service} at {url} is not reachable ({exc}). The executor matrix runs the "
            f"Celery executor on it: start {service} (CI: its service container).",
            pytrace=False,
        )
