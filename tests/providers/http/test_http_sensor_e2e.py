"""An ``HttpSensor`` under the real scheduler waits for a service that is not up yet: its
port refuses connections, then it answers 503 while starting, then 200."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.harness import Baton

from .late import LateService

pytestmark = pytest.mark.e2e

DAG = """
from scheduler import DAG, PythonOperator
from plugins.http import HttpSensor

with DAG("e2e_wait_for_service", schedule=None):
    up = HttpSensor(task_id="up", http_conn_id="svc", endpoint="health", poke_interval=0.2,
                    timeout=60)
    strict = HttpSensor(task_id="strict", http_conn_id="gone", endpoint="health",
                        poke_interval=0.2, timeout=60, allow_connection_errors=False, retries=0)
    up >> PythonOperator(task_id="after", python_callable=lambda: "ran")
"""


@pytest.fixture
def late() -> Iterator[LateService]:
    with LateService() as service, LateService() as never:
        service.never = never  # type: ignore[attr-defined]  # a port that stays closed
        yield service


@pytest.fixture
def baton(tmp_path: Path, late: LateService) -> Iterator[Baton]:
    never = late.never  # type: ignore[attr-defined]
    # Refused pokes count as failures to the connection's breaker, which would then stop
    # poking for its 30 s cool-down: let this one stand many.
    svc = f"{late.url}?breaker_failure_threshold=1000"
    instance = Baton(tmp_path, conn_svc=svc, conn_gone=never.url)
    try:
        yield instance
    finally:
        instance.stop()


def test_a_sensor_waits_through_refused_connections_and_503s(
    baton: Baton, late: LateService
) -> None:
    late.reply(503, "starting", times=2)
    baton.write_dag("wait_dag.py", DAG)
    baton.start()
    baton.wait_for_dag("e2e_wait_for_service")
    run_id = baton.trigger("e2e_wait_for_service")
    baton.wait_until("a few refused pokes", lambda: "got no answer" in _log(baton, run_id))
    late.open()
    assert baton.wait_for_run("e2e_wait_for_service", run_id, timeout=90) == "failed"
    assert baton.task_states("e2e_wait_for_service", run_id) == {
        "up": "success",
        "after": "success",
        "strict": "failed",  # allow_connection_errors=False: the first refusal fails it
    }
    assert [c.path for c in late.calls] == ["/health"] * 3  # 503, 503, 200
    log = _log(baton, run_id)
    assert "Not yet: GET" in log and "answered 503" in log
    (strict,) = baton.tries("e2e_wait_for_service", run_id, "strict")
    assert "got no answer after 1 attempt(s)" in strict.error


def _log(baton: Baton, run_id: str) -> str:
    tries = baton.tries("e2e_wait_for_service", run_id, "up")
    return baton.task_log("e2e_wait_for_service", run_id, "up") if tries else ""
