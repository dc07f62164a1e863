"""Throttle rows against a real SQLite file and the real PostgreSQL (a migrated schema of
each test's own, from ``tests.databases``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.databases import migrated_postgres, migrated_sqlite
from tests.e2e.conftest import baton  # noqa: F401  (the real scheduler, for the e2e test)


@pytest.fixture
def sqlite_throttle_url(tmp_path: Path) -> str:
    return migrated_sqlite(tmp_path)


@pytest.fixture
def postgres_throttle_url() -> Iterator[str]:
    with migrated_postgres() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgres"])
def throttle_url(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each test using this runs once per back end, with BATON_DATABASE_URL pointing there."""
    url = request.getfixturevalue(f"{request.param}_throttle_url")
    monkeypatch.setenv("BATON_DATABASE_URL", url)
    return url
