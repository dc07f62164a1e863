"""Helpers for the saga tests: trigger the order saga, read the services, check consistency."""

from __future__ import annotations

from typing import Any

from scheduler import api
from scheduler.store.db import transaction
from scheduler.store.events import list_events
from tests.e2e.harness import Baton
from tests.services.shop import RunningService

DAG_ID = "example_order_saga"
STOCK = 10  # widgets the inventory service starts with
AMOUNT = 42.0


def trigger_order(
    baton: Baton, shop: dict[str, RunningService], order_id: str, **extra: Any
) -> str:
    """Trigger an order (the services are reached through the connections)."""
    return baton.trigger(DAG_ID, {"order_id": order_id, "amount": AMOUNT, **extra})


def inject(shop: dict[str, RunningService], service: str, **control: dict) -> None:
    shop[service].service.control(control)


def snapshots(shop: dict[str, RunningService]) -> dict[str, dict[str, Any]]:
    return {name: running.service.snapshot() for name, running in shop.items()}


def assert_no_effect_twice(shop: dict[str, RunningService]) -> None:
    """Every idempotency key caused at most one side effect in every service."""
    for name, snap in snapshots(shop).items():
        twice = {key: n for key, n in snap["effects"].items() if n != 1}
        assert not twice, f"{name} applied these keys more than once: {twice}"


def assert_undone(shop: dict[str, RunningService], order_id: str) -> None:
    """A failed order holds no stock, keeps no money and ships nothing."""
    snap = snapshots(shop)
    inventory = snap["inventory"]["state"]
    assert order_id not in inventory["reservations"]
    assert inventory["stock"]["widget"] == STOCK
    charge = snap["payment"]["state"]["charges"].get(order_id)
    assert charge is None or charge["refunded"] == charge["amount"], charge
    assert order_id not in snap["shipping"]["state"]["shipments"]
    assert_no_effect_twice(shop)


def assert_completed(shop: dict[str, RunningService], order_id: str) -> None:
    snap = snapshots(shop)
    assert snap["inventory"]["state"]["reservations"][order_id] == {"sku": "widget", "qty": 1}
    assert snap["payment"]["state"]["charges"][order_id] == {"amount": AMOUNT, "refunded": 0}
    assert order_id in snap["shipping"]["state"]["shipments"]
    assert_no_effect_twice(shop)


def keys(shop: dict[str, RunningService], service: str, endpoint: str) -> list[str]:
    """The idempotency keys ``service`` saw on ``endpoint``, in order, without the run."""
    seen = shop[service].service.snapshot()["keys"].get(endpoint, [])
    return [key.split("/", 2)[2] for key in seen]  # drop "dag_id/run_id/"


def compensation_tries(baton: Baton, run_id: str, task_id: str) -> list[Any]:
    return api.list_tries(baton.settings, DAG_ID, run_id, task_id, kind="compensate")


def events(baton: Baton, run_id: str) -> list[tuple[str, str | None, str | None, str | None]]:
    """(event, task_id, old, new) of the run, oldest first."""
    with transaction(api.database(baton.settings)) as session:
        rows = list_events(session, dag_id=DAG_ID, run_id=run_id, limit=1000)
    return [(r.event, r.task_id, r.old_state, r.new_state) for r in reversed(rows)]
