"""The same breaker contract against a real SQLite file and the real PostgreSQL.

PostgreSQL (127.0.0.1:5432, database ``test``) gets a schema of its own per test, dropped
afterwards, so other tests using that database are never disturbed. A missing server is a
failure, not a skip: CI has one.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlmodel import SQLModel

from scheduler.store.db import make_engine
from scheduler.store.migrate import migrate
from scheduler.store.models import event_table
from scheduler.store.models_breakers import circuit_breaker_table
from tests.e2e.conftest import baton  # noqa: F401  (the real scheduler, for e2e tests)

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'baton.db'}"
    engine = make_engine(url)
    migrate(engine)  # the real migration, as `baton db migrate` runs it
    engine.dispose()
    return url


@pytest.fixture
def postgres_url() -> Iterator[str]:
    schema = f"baton_breakers_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{POSTGRES}?options=-csearch_path%3D{schema}"
    engine = create_engine(url)
    SQLModel.metadata.create_all(engine, tables=[circuit_breaker_table, event_table])
    engine.dispose()
    try:
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Each test using this runs once per back end."""
    return request.getfixturevalue(f"{request.param}_url")
