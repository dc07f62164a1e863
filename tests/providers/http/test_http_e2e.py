"""An HTTP DAG run by the real scheduler: worker processes, XCom between tasks, retries."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.harness import Baton

from .service import FakeService

pytestmark = pytest.mark.e2e

DAG = """
from scheduler import DAG
from plugins.http import HttpOperator, HttpSensor

with DAG("e2e_http", schedule=None):
    ready = HttpSensor(task_id="ready", http_conn_id="svc", endpoint="health",
                       poke_interval=0.1, timeout=60)
    create = HttpOperator(task_id="create", http_conn_id="svc", endpoint="orders",
                          data={"run": "{{ run_id }}"}, retry_backoff=0.05)
    confirm = HttpOperator(task_id="confirm", http_conn_id="svc", endpoint="confirm",
                           data=create.output)
    ready >> create
"""


@pytest.fixture
def baton(tmp_path: Path, service: FakeService) -> Iterator[Baton]:
    instance = Baton(tmp_path, conn_svc=f"http://user:pw-e2e-secret@127.0.0.1:{service.port}")
    try:
        yield instance
    finally:
        instance.stop()


def test_an_http_dag_runs_through_the_scheduler(baton: Baton, service: FakeService) -> None:
    service.reply(404)  # the sensor's first poke: not ready
    service.reply(200, {"up": True})
    service.reply(503, headers={"Retry-After": "0"})  # create: retried within the try
    service.reply(201, {"order": 9})
    baton.write_dag("http_dag.py", DAG)
    baton.start()
    baton.wait_for_dag("e2e_http")
    run_id = baton.trigger("e2e_http")
    assert baton.wait_for_run("e2e_http", run_id, timeout=90) == "success", baton.task_states(
        "e2e_http", run_id
    )
    paths = [c.path for c in service.calls]
    assert paths == ["/health", "/health", "/orders", "/orders", "/confirm"]
    create_calls = service.calls[2:4]
    assert {c.headers["idempotency-key"] for c in create_calls} == {f"e2e_http/{run_id}/create"}
    assert create_calls[0].json() == {"run": run_id}
    assert service.calls[4].json() == {"order": 9}  # create's XCom, passed on
    log = baton.task_log("e2e_http", run_id, "create")
    assert "HTTP 503; retrying in" in log and "pw-e2e-secret" not in log
