from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.harness import Baton


@pytest.fixture
def baton(tmp_path: Path) -> Iterator[Baton]:
    """A migrated BATON_HOME with an empty DAG folder; call ``.start()`` for the scheduler."""
    instance = Baton(tmp_path)
    try:
        yield instance
    finally:
        instance.stop()


POSTGRES_SERVER = "postgresql://postgres@127.0.0.1:5432"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A database of its own on the machine's PostgreSQL (a missing server fails the
    test), dropped afterwards with whatever connections are left."""
    import uuid

    import psycopg

    name = f"baton_e2e_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(f"{POSTGRES_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    with psycopg.connect(f"{POSTGRES_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
