"""The order saga end to end: real scheduler, real workers, real HTTP services.

``dags/example_order_saga.py`` reserves stock, charges the payment and ships; a failure is
injected at each step in turn, and after each run the services must be consistent (no stock
held and no money kept for a failed order) with no side effect applied twice.
"""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest

from tests.e2e.harness import Baton
from tests.sagas.support import (
    DAG_ID,
    assert_completed,
    assert_undone,
    compensation_tries,
    events,
    inject,
    keys,
    trigger_order,
)
from tests.services.shop import RunningService

pytestmark = pytest.mark.e2e

Shop = dict[str, RunningService]
RUN_TIMEOUT = 180  # seconds; generous for a busy 2-core machine


def run_order(baton: Baton, shop: Shop, order_id: str) -> tuple[str, str]:
    baton.start()
    baton.wait_for_dag(DAG_ID)
    run_id = trigger_order(baton, shop, order_id)
    return run_id, baton.wait_for_run(DAG_ID, run_id, timeout=RUN_TIMEOUT)


def test_the_order_completes_when_every_service_answers(baton: Baton, shop: Shop) -> None:
    run_id, state = run_order(baton, shop, "A-1")
    assert state == "success"
    assert set(baton.task_states(DAG_ID, run_id).values()) == {"success"}
    assert_completed(shop, "A-1")
    assert keys(shop, "inventory", "release") == keys(shop, "payment", "refund") == []


def test_reserve_failing_is_undone_too_and_nothing_after_it_runs(baton: Baton, shop: Shop) -> None:
    inject(shop, "inventory", fail={"reserve": 3})  # 1 try + 2 retries
    run_id, state = run_order(baton, shop, "A-2")
    # compensate_on_failure: a reservation that failed may have been made; release it.
    assert state == "compensated"
    assert baton.task_states(DAG_ID, run_id) == {
        "reserve_stock": "compensated",
        "charge_payment": "upstream_failed",
        "ship_order": "upstream_failed",
    }
    assert ("task_state", "reserve_stock", "failed", "compensating") in events(baton, run_id)
    assert keys(shop, "payment", "charge") == []
    assert keys(shop, "inventory", "release") == ["reserve_stock/compensate"]
    assert_undone(shop, "A-2")


def test_charge_failing_refunds_it_then_releases_the_stock(
    database_url: str, baton: Baton, shop: Shop
) -> None:  # both back ends (conftest.py): a failure, a refund, a release, through the Store
    inject(shop, "payment", fail={"charge": 3})
    run_id, state = run_order(baton, shop, "A-3")
    assert state == "compensated"
    assert baton.task_states(DAG_ID, run_id) == {
        "reserve_stock": "compensated",
        "charge_payment": "compensated",  # failed, and undone in case it was applied
        "ship_order": "upstream_failed",
    }
    assert keys(shop, "payment", "refund") == ["charge_payment/compensate"]
    assert keys(shop, "inventory", "release") == ["reserve_stock/compensate"]
    assert_undone(shop, "A-3")


def test_ship_failing_refunds_then_releases_in_reverse_order(baton: Baton, shop: Shop) -> None:
    inject(shop, "shipping", fail={"ship": 3})
    run_id, state = run_order(baton, shop, "A-4")
    assert state == "compensated"
    assert baton.task_states(DAG_ID, run_id) == {
        "reserve_stock": "compensated",
        "charge_payment": "compensated",
        "ship_order": "failed",
    }
    assert keys(shop, "payment", "refund") == ["charge_payment/compensate"]
    assert keys(shop, "inventory", "release") == ["reserve_stock/compensate"]
    assert_undone(shop, "A-4")
    # Every step is in the event log, in order: the release waited for the refund.
    saga = [e for e in events(baton, run_id) if e[0] != "task_state" or e[3] != "scheduled"]
    saga = saga[saga.index(("run_state", None, "running", "compensating")) :]
    assert saga == [
        ("run_state", None, "running", "compensating"),
        ("task_state", "charge_payment", "success", "compensating"),
        ("compensation_state", "charge_payment", "scheduled", "queued"),
        ("compensation_state", "charge_payment", "queued", "running"),
        ("task_state", "charge_payment", "compensating", "compensated"),
        ("task_state", "reserve_stock", "success", "compensating"),
        ("compensation_state", "reserve_stock", "scheduled", "queued"),
        ("compensation_state", "reserve_stock", "queued", "running"),
        ("task_state", "reserve_stock", "compensating", "compensated"),
        ("run_state", None, "compensating", "compensated"),
    ]
    log = baton.task_log(DAG_ID, run_id, "charge_payment")
    assert "Marking task as SUCCESS" in log  # the task's own log is untouched
    refund_log = compensation_tries(baton, run_id, "charge_payment")[0].log_path
    assert refund_log.endswith("attempt=1.compensate.log")
    logs = baton.cli("tasks", "logs", DAG_ID, run_id, "charge_payment", "--compensation").stdout
    assert "Starting compensation try 1 of task charge_payment" in logs
    assert 'Response: {"refunded": 42.0}' in logs  # the refund operator's own log


def test_failed_compensations_are_retried_with_their_own_settings(baton: Baton, shop: Shop) -> None:
    inject(shop, "shipping", fail={"ship": 3})
    inject(shop, "payment", fail={"refund": 2})  # the refund operator has retries=5
    inject(shop, "inventory", fail={"release": 1})  # the release callable: the task's 2
    run_id, state = run_order(baton, shop, "A-5")
    assert state == "compensated"
    assert keys(shop, "payment", "refund") == ["charge_payment/compensate"] * 3
    assert keys(shop, "inventory", "release") == ["reserve_stock/compensate"] * 2
    refunds = compensation_tries(baton, run_id, "charge_payment")
    assert [t.state for t in refunds] == ["failed", "failed", "success"]
    assert "503" in refunds[0].error
    assert ("compensation_state", "charge_payment", "running", "up_for_retry") in events(
        baton, run_id
    )
    assert_undone(shop, "A-5")


def test_a_compensation_failing_for_good_blocks_the_ones_before_it_until_retried(
    baton: Baton, shop: Shop
) -> None:
    inject(shop, "shipping", fail={"ship": 3})
    inject(shop, "payment", fail={"refund": 6})  # 1 try + 5 retries: all fail
    run_id, state = run_order(baton, shop, "A-6")
    assert state == "compensation_failed"
    assert baton.task_states(DAG_ID, run_id) == {
        "reserve_stock": "success",  # not released while the payment is still kept
        "charge_payment": "compensation_failed",
        "ship_order": "failed",
    }
    refunds = compensation_tries(baton, run_id, "charge_payment")
    assert len(refunds) == 6
    # The example's on_compensation_failure_callback ran once, after the last refund try.
    last, before = (Path(t.log_path).read_text() for t in (refunds[-1], refunds[-2]))
    assert "ALERT: order A-6: the undo of charge_payment failed for good" in last
    assert "ALERT" not in before
    assert keys(shop, "inventory", "release") == []

    # The payment service is fixed (its injected failures are used up): compensate again.
    out = baton.cli("runs", "compensate", DAG_ID, run_id).stdout
    assert "charge_payment" in out
    assert baton.wait_for_run(DAG_ID, run_id, timeout=RUN_TIMEOUT) == "compensated"
    assert keys(shop, "payment", "refund") == ["charge_payment/compensate"] * 7
    assert keys(shop, "inventory", "release") == ["reserve_stock/compensate"]
    assert_undone(shop, "A-6")
    again = baton.cli("runs", "compensate", DAG_ID, run_id, check=False)
    assert again.returncode != 0 and "only a compensation_failed run" in again.stderr


def test_kill_9_during_compensation_then_restart_finishes_compensating(
    baton: Baton, shop: Shop
) -> None:
    inject(shop, "shipping", fail={"ship": 3})
    inject(shop, "payment", delay={"refund": 3.0})  # the first refund call is slow
    baton.start()
    baton.wait_for_dag(DAG_ID)
    run_id = trigger_order(baton, shop, "A-7")
    baton.wait_until(
        "the refund to be in progress",
        lambda: keys(shop, "payment", "refund"),
        timeout=RUN_TIMEOUT,
    )
    baton.kill(signal.SIGKILL)
    assert baton.cli_json("runs", "list", DAG_ID)[0]["state"] == "compensating"

    baton.start()
    assert baton.wait_for_run(DAG_ID, run_id, timeout=RUN_TIMEOUT) == "compensated"
    refunds = compensation_tries(baton, run_id, "charge_payment")
    assert [t.state for t in refunds] == ["failed", "success"]
    assert "lost" in refunds[0].error
    assert keys(shop, "payment", "refund") == ["charge_payment/compensate"] * 2
    assert keys(shop, "inventory", "release") == ["reserve_stock/compensate"]
    assert_undone(shop, "A-7")


def test_dags_test_runs_the_saga_in_process(baton: Baton, shop: Shop) -> None:
    inject(shop, "shipping", fail={"ship": 3})
    conf = {"order_id": "A-8"}
    result = baton.cli("dags", "test", DAG_ID, "--conf", json.dumps(conf), check=False)
    assert result.returncode != 0  # only a successful run exits 0
    assert "compensated" in result.stdout
    assert "charge_payment (compensation): success" in result.stderr  # progress lines
    assert_undone(shop, "A-8")
