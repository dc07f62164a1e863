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
