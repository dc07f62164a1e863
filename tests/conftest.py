"""Fixtures every suite shares: the test matrix's database (SQLite and PostgreSQL).

A test that asks for ``database_url`` or ``db`` runs once per back end, ids ``[sqlite]`` and
``[postgres]``; ``-k sqlite`` or ``-k postgres`` picks one side. A conftest closer to a test
may define its own fixture of the same name (``tests/breakers`` does).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from scheduler.store.db import make_engine
from tests.databases import BACKENDS, migrated_postgres, migrated_sqlite


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated database of this test's own: a SQLite file, or a PostgreSQL schema
    dropped afterwards (tests/databases.py)."""
    if request.param == "sqlite":
        yield migrated_sqlite(tmp_path)
        return
    with migrated_postgres() as url:
        yield url


@pytest.fixture
def db(database_url: str) -> Iterator[Engine]:
    """An engine on ``database_url``, disposed before the schema is dropped."""
    engine = make_engine(database_url)
    try:
        yield engine
    finally:
        engine.dispose()
