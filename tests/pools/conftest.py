"""``baton pools`` on both back ends."""

from __future__ import annotations

from pathlib import Path

import pytest

from scheduler.settings import Settings


@pytest.fixture
def env(tmp_path: Path, database_url: str) -> dict[str, str]:
    """The environment the CLI runs with: a BATON_HOME and a migrated database, SQLite or
    PostgreSQL (``database_url`` from tests/conftest.py)."""
    return {
        "BATON_HOME": str(tmp_path / "home"),
        "BATON_DAGS_FOLDER": str(tmp_path / "dags"),
        "BATON_DATABASE_URL": database_url,
    }


@pytest.fixture
def settings(env: dict[str, str]) -> Settings:
    return Settings.from_env(env)
