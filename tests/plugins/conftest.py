from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from scheduler.masking import clear_secrets
from scheduler.plugins import forget_plugins
from scheduler.settings import Settings
from tests.e2e.conftest import baton  # noqa: F401  (the real scheduler, for e2e tests)


class PluginFolder:
    """A plugins folder under ``tmp_path`` with the settings that point at it."""

    def __init__(self, root: Path) -> None:
        self.path = root / "plugins"
        self.path.mkdir()
        self.settings = Settings(
            home=root / "home",
            dags_folder=root / "dags",
            database_url="sqlite://",
            plugins_folder=str(self.path),
        )

    def write(self, name: str, source: str) -> Path:
        path = self.path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source).lstrip())
        return path


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[PluginFolder]:
    """A fresh plugins folder; the modules it imports and sys.path are restored afterwards."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    before = set(sys.modules)
    yield PluginFolder(tmp_path)
    for name in set(sys.modules) - before:
        if not name.startswith(("scheduler", "plugins")):
            del sys.modules[name]
    forget_plugins()
    clear_secrets()
