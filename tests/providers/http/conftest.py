"""Fixtures of the HTTP provider tests: a real local service, a migrated database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from scheduler.store.db import make_engine
from scheduler.store.migrate import migrate
from tests.runner.support import DagFolder

from .service import FakeService


@pytest.fixture
def service() -> Iterator[FakeService]:
    with FakeService() as svc:
        yield svc


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A migrated SQLite database as BATON_DATABASE_URL: where the breakers live."""
    url = f"sqlite:///{tmp_path / 'baton.db'}"
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    monkeypatch.setenv("BATON_DATABASE_URL", url)
    return url


@pytest.fixture
def dags(tmp_path: Path, database: str) -> DagFolder:
    """``dags.write(source)`` then ``dags.run(task_id)``: one try through the real runner."""
    return DagFolder(tmp_path)
