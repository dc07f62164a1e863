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


#: The payment connection's breaker stands more outages in a row than a test injects (6
#: failing refunds), so the tests see every call reach the service; test_saga_edges sets
#: its own to watch it open.
PAYMENT_BREAKER = "breaker_failure_threshold=20&breaker_reset_timeout_s=5"


def connect(instance: Baton, shop: dict[str, RunningService], **extras: str) -> None:
    """The example's connections (shop_inventory, shop_payment, shop_shipping), as the
    docstring of the DAG adds them, in the environment of every Baton process."""
    for name, running in shop.items():
        query = extras.get(name, "timeout=10")
        instance.env[f"BATON_CONN_SHOP_{name.upper()}"] = f"{running.url}/?{query}"


@pytest.fixture
def baton(
    request: pytest.FixtureRequest, tmp_path: Path, shop: dict[str, RunningService]
) -> Iterator[Baton]:
    """A migrated BATON_HOME whose DAG folder holds the example order saga, with its
    connections pointing at the shop's services. A test that also asks for
    ``database_url`` (tests/conftest.py) runs on SQLite and on PostgreSQL; the others run on
    SQLite only, as each of these tests drives a real scheduler for 5-25 s."""
    settings = {}
    if "database_url" in request.fixturenames:
        settings["database_url"] = request.getfixturevalue("database_url")
    instance = Baton(tmp_path, **settings)
    instance.write_dag("example_order_saga.py", EXAMPLE.read_text())
    connect(instance, shop, payment=f"timeout=10&{PAYMENT_BREAKER}")
    try:
        yield instance
    finally:
        instance.stop()
