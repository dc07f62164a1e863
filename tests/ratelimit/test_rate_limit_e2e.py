"""A connection's rate limit held by the real scheduler's 2 worker processes together.

20 mapped ``HttpOperator`` tasks call a local service through a connection stored with
``baton connections add ... --conn-extra '{"rate_limit": "5/s"}'``; the service records
when each request arrives. No 1-second window may hold more than 5 + the burst of 1.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.harness import Baton
from tests.providers.http.service import FakeService

from .conftest import max_in_window

pytestmark = pytest.mark.e2e

DAG = """
from scheduler import DAG
from plugins.http import HttpOperator

with DAG("e2e_rate_limited", schedule=None):
    HttpOperator.partial(task_id="call", http_conn_id="limited", endpoint="work",
                         method="GET").expand(data=[{"i": i} for i in range(20)])
"""


@pytest.fixture
def service() -> Iterator[FakeService]:
    with FakeService() as svc:
        yield svc


@pytest.fixture
def baton(tmp_path: Path) -> Iterator[Baton]:
    instance = Baton(tmp_path, parallelism="2")
    try:
        yield instance
    finally:
        instance.stop()


def test_two_workers_stay_within_the_connection_rate_limit(
    baton: Baton, service: FakeService
) -> None:
    extra = json.dumps({"rate_limit": "5/s"})
    baton.cli("connections", "add", "limited", "--conn-type", "http", "--conn-host",
              service.url, "--conn-extra", extra)  # fmt: skip
    baton.write_dag("rate_dag.py", DAG)
    baton.start()
    baton.wait_for_dag("e2e_rate_limited")
    run_id = baton.trigger("e2e_rate_limited")
    state = baton.wait_for_run("e2e_rate_limited", run_id, timeout=120)
    assert state == "success", baton.task_states("e2e_rate_limited", run_id)
    times = [call.at for call in service.calls if call.path.startswith("/work")]
    assert len(times) == 20
    span = max(times) - min(times)
    busiest = max_in_window(times)
    print(f"20 calls in {span:.2f} s: {19 / span:.2f}/s; busiest 1-s window: {busiest}")
    assert busiest <= 5 + 1  # the rate + the burst of 1
    assert span >= 19 / 5 - 0.2  # spread at the rate, not merely below it by luck
    assert not any("rate_limit" in call.headers for call in service.calls)  # not a header
