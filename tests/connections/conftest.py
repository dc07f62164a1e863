from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from scheduler.masking import clear_secrets
from scheduler.settings import Settings
from tests.e2e.conftest import baton  # noqa: F401  (the real scheduler, for e2e tests)

from .support import use_home


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """Settings of a fresh, migrated BATON_HOME that this process uses."""
    yield use_home(monkeypatch, tmp_path / "home")
    clear_secrets()
