"""Rate-limit buckets against a real SQLite file and the real PostgreSQL (a schema per test)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlmodel import SQLModel

from scheduler.store.db import make_engine
from scheduler.store.migrate import migrate
from scheduler.store.models_rate_limits import rate_limit_bucket_table
from tests.e2e.conftest import postgres_url  # noqa: F401  (a migrated schema, for e2e)

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture
def sqlite_bucket_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'baton.db'}"
    engine = make_engine(url)
    migrate(engine)  # the real migration, as `baton db migrate` runs it
    engine.dispose()
    return url


@pytest.fixture
def postgres_bucket_url() -> Iterator[str]:
    schema = f"baton_ratelimit_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{POSTGRES}?options=-csearch_path%3D{schema}"
    engine = create_engine(url)
    SQLModel.metadata.create_all(engine, tables=[rate_limit_bucket_table])
    engine.dispose()
    try:
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def bucket_url(request: pytest.FixtureRequest) -> str:
    """Each test using this runs once per back end. (Named apart from the e2e fixtures'
    ``postgres_url``, a migrated schema, which the two-scheduler tests use.)"""
    return request.getfixturevalue(f"{request.param}_bucket_url")


def max_in_window(times: list[float], window_s: float = 1.0) -> int:
    """The most calls any half-open window ``[t, t + window_s)`` holds."""
    ordered = sorted(times)
    best, start = 0, 0
    for end, at in enumerate(ordered):
        while at - ordered[start] >= window_s:
            start += 1
        best = max(best, end - start + 1)
    return best
