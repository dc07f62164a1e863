"""Exactly-once effects through the real scheduler: a payment service that takes the money,
then answers too late. However many calls and tries it takes, each task instance charges
once, because every call of every try carries the same ``Idempotency-Key``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.harness import Baton

from .payments import PaymentService

pytestmark = pytest.mark.e2e

DAG = """
from datetime import timedelta
from scheduler import DAG
from plugins.http import HttpOperator

# Each try makes 2 calls (max_attempts) of 0.5 s at most; the service answers its first 3
# calls per key after 1 s: try 1 times out twice, try 2 once and then gets its answer.
patient = dict(http_conn_id="pay", endpoint="charges", timeout=0.5, max_attempts=2,
               retry_backoff=0.05, retries=3, retry_delay=timedelta(seconds=0.2))

with DAG("e2e_pay", schedule=None, params={"order": 7}):
    HttpOperator(task_id="charge", data={"amount": 42}, **patient)
    HttpOperator.partial(task_id="charge_each", **patient).expand(
        data=[{"amount": 1}, {"amount": 2}]
    )
    HttpOperator(task_id="charge_mine", data={"amount": 5},
                 idempotency_key="order-{{ params.order }}", **patient)
    HttpOperator(task_id="charge_header", data={"amount": 6},
                 headers={"idempotency-key": "hdr-{{ run_id }}"}, **patient)
"""


@pytest.fixture
def pay() -> Iterator[PaymentService]:
    with PaymentService(slow_calls=3, slow_s=1.0) as service:
        yield service


@pytest.fixture
def baton(tmp_path: Path, pay: PaymentService) -> Iterator[Baton]:
    # Timeouts are failures to the connection's breaker: let it stand 20 of them in a row.
    url = f"{pay.url}?breaker_failure_threshold=20"
    instance = Baton(tmp_path, conn_pay=url, parallelism="4")
    try:
        yield instance
    finally:
        instance.stop()


def test_a_charge_that_timed_out_is_not_charged_again_by_the_retries(
    baton: Baton, pay: PaymentService
) -> None:
    baton.write_dag("pay_dag.py", DAG)
    baton.start()
    baton.wait_for_dag("e2e_pay")
    run_id = baton.trigger("e2e_pay")
    assert baton.wait_for_run("e2e_pay", run_id, timeout=120) == "success", baton.task_states(
        "e2e_pay", run_id
    )
    keys = {
        f"e2e_pay/{run_id}/charge",  # dag_id/run_id/task_id
        f"e2e_pay/{run_id}/charge_each/0",  # mapped: /map_index
        f"e2e_pay/{run_id}/charge_each/1",
        "order-7",  # the operator's own idempotency_key=, rendered
        f"hdr-{run_id}",  # a key set in headers= is honoured, not replaced
    }
    assert set(pay.calls) == keys
    assert pay.charges == dict.fromkeys(keys, 1)  # one charge each ...
    assert min(pay.calls.values()) >= 4  # ... after 4 calls in 2 tries (more if slow)
    assert pay.try_numbers[f"e2e_pay/{run_id}/charge"][:3] == ["1", "1", "2"]
    tries = baton.tries("e2e_pay", run_id, "charge")
    assert [t.state for t in tries[:1] + tries[-1:]] == ["failed", "success"]
    assert "ReadTimeout" in tries[0].error
    last = baton.task_log("e2e_pay", run_id, "charge", tries[-1].try_number)
    assert last.count("answered 201") == 1
