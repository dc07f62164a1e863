"""The order saga's edge cases, end to end (real scheduler, workers and HTTP services):

- a charge that timed out may still be applied by the payment service: with
  ``compensate_on_failure`` it is refunded under its compensation's stable key once its last
  try was cut off, and the charge arriving after the refund is refused;
- a declined payment (HTTP 500) is a business answer: the step fails without retries, the
  shared breaker of the payment connection stays closed, the next order goes through.
"""

from __future__ import annotations

import pytest

from tests.e2e.harness import Baton
from tests.sagas.conftest import PAYMENT_BREAKER, connect
from tests.sagas.support import (
    DAG_ID,
    assert_completed,
    assert_undone,
    events,
    inject,
    keys,
    snapshots,
    trigger_order,
)
from tests.services.shop import RunningService

pytestmark = pytest.mark.e2e

Shop = dict[str, RunningService]
RUN_TIMEOUT = 180


def test_a_timed_out_charge_is_refunded_and_its_late_arrival_refused(
    baton: Baton, shop: Shop
) -> None:
    # Each call waits 2 s for an answer; the first charge takes 12 s to be applied, the two
    # retries find the service failing: the step fails for good while its first call is
    # still on its way to being applied.
    connect(baton, shop, payment=f"timeout=2&{PAYMENT_BREAKER}")
    inject(shop, "payment", delay={"charge": [12.0]}, fail={"charge": 2})
    baton.start()
    baton.wait_for_dag(DAG_ID)
    run_id = trigger_order(baton, shop, "T-1")
    assert baton.wait_for_run(DAG_ID, run_id, timeout=RUN_TIMEOUT) == "compensated"
    assert baton.task_states(DAG_ID, run_id) == {
        "reserve_stock": "compensated",
        "charge_payment": "compensated",
        "ship_order": "upstream_failed",
    }
    tries = baton.tries(DAG_ID, run_id, "charge_payment")
    assert "got no answer" in tries[0].error and "Timeout" in tries[0].error
    # One key for the charge's three tries, one for its refund: the service can match them.
    assert keys(shop, "payment", "charge") == ["charge_payment"] * 3
    assert keys(shop, "payment", "refund") == ["charge_payment/compensate"]
    saga = events(baton, run_id)
    failed = saga.index(("task_state", "charge_payment", "running", "failed"))
    undo = saga.index(("task_state", "charge_payment", "failed", "compensating"))
    release = saga.index(("task_state", "reserve_stock", "success", "compensating"))
    assert failed < undo < release  # its last try ended, then the refund, then the release

    # The first charge call lands after its refund: the service refuses it, nothing is kept.
    baton.wait_until(
        "the late charge call", lambda: snapshots(shop)["payment"]["finished"]["charge"] == 3
    )
    assert "T-1" in snapshots(shop)["payment"]["state"]["cancelled"]
    assert_undone(shop, "T-1")


def test_a_declined_payment_fails_the_step_once_and_leaves_the_breaker_closed(
    baton: Baton, shop: Shop
) -> None:
    connect(baton, shop, payment="timeout=10&breaker_failure_threshold=1")
    baton.start()
    baton.wait_for_dag(DAG_ID)
    run_id = trigger_order(baton, shop, "D-1", amount=5000)
    assert baton.wait_for_run(DAG_ID, run_id, timeout=RUN_TIMEOUT) == "compensated"
    (only_try,) = baton.tries(DAG_ID, run_id, "charge_payment")  # declined: no retry
    assert only_try.error.startswith("HttpBusinessError: POST")
    assert "payment declined" in only_try.error
    assert keys(shop, "payment", "charge") == ["charge_payment"]
    assert_undone(shop, "D-1")
    # One failure would open this breaker, but a refusal is no failure.
    (payments,) = [b for b in baton.cli_json("breakers", "list") if b["conn_id"] == "shop_payment"]
    assert (payments["state"], payments["failures"]) == ("closed", 0)

    run_id = trigger_order(baton, shop, "D-2")
    assert baton.wait_for_run(DAG_ID, run_id, timeout=RUN_TIMEOUT) == "success"
    assert_completed(shop, "D-2")
