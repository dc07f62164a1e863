"""A real BATON_HOME for connection tests: migrated SQLite database, no inherited secrets."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from scheduler.masking import clear_secrets
from scheduler.settings import Settings
from scheduler.store.db import make_engine
from scheduler.store.migrate import migrate


def use_home(monkeypatch: pytest.MonkeyPatch, home: Path, **env: str) -> Settings:
    """Point this process (and the workers it would fork) at ``home``; migrate its database."""
    for name in list(os.environ):
        if name.startswith(("BATON_CONN_", "BATON_VAR_")) or name in {
            "BATON_FERNET_KEY",
            "BATON_DATABASE_URL",
            "BATON_PLUGINS_FOLDER",
        }:
            monkeypatch.delenv(name)
    monkeypatch.setenv("BATON_HOME", str(home))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = Settings.from_env()
    engine = make_engine(settings.database_url)
    migrate(engine)
    engine.dispose()
    clear_secrets()
    return settings
