"""A real Baton (scheduler process, local executor) and the three shop services."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.harness import Baton
from tests.services.shop import RunningService, start_shop

EXAMPLE = Path(__file__).resolve().parents[2] / "dags" / "example_order_saga.py"


@pytest.fixture
def shop() -> Iterator[dict[str, RunningService]]:
    services = start_shop()
    try:
        yield services
    finally:
        for running in services.values():
            running.stop()


@pytest.fixture
def baton(tmp_path: Path) -> Iterator[Baton]:
    """A migrated BATON_HOME whose DAG folder holds the example order saga."""
    instance = Baton(tmp_path)
    instance.write_dag("example_order_saga.py", EXAMPLE.read_text())
    try:
        yield instance
    finally:
        instance.stop()
