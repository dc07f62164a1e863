from __future__ import annotations

from pathlib import Path

import pytest

from scheduler.settings import Settings
from scheduler.store.db import make_engine
from scheduler.store.migrate import migrate


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A migrated BATON_HOME: the environment the CLI runs with."""
    values = {
        "BATON_HOME": str(tmp_path / "home"),
        "BATON_DAGS_FOLDER": str(tmp_path / "dags"),
        "BATON_DATABASE_URL": f"sqlite:///{tmp_path / 'baton.db'}",
    }
    engine = make_engine(values["BATON_DATABASE_URL"])
    migrate(engine)
    engine.dispose()
    return values


@pytest.fixture
def settings(env: dict[str, str]) -> Settings:
    return Settings.from_env(env)
