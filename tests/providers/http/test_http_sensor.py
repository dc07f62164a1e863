"""``HttpSensor`` pokes a real local service until it answers as expected."""

from __future__ import annotations

import pytest

from tests.runner.support import DagFolder

from .service import FakeService

DAG = """
    from scheduler import DAG
    from plugins.http import HttpSensor

    with DAG("demo"):
        HttpSensor(task_id="ready", http_conn_id="svc", endpoint="jobs/{{ ds_nodash }}",
                   response_check=lambda response: response.json()["state"] == "done",
                   poke_interval=0.05, timeout=30)
        HttpSensor(task_id="short", http_conn_id="svc", endpoint="jobs/x", poke_interval=0.05,
                   timeout=0.3)
"""


@pytest.fixture
def http_dags(dags: DagFolder, service: FakeService, monkeypatch: pytest.MonkeyPatch) -> DagFolder:
    monkeypatch.setenv("BATON_CONN_SVC", f"http://127.0.0.1:{service.port}")
    dags.write(DAG)
    return dags


def test_pokes_through_404_and_a_failing_check_until_done(
    http_dags: DagFolder, service: FakeService
) -> None:
    service.reply(404, {"error": "no such job yet"}, times=2)
    service.reply(200, {"state": "running"})
    service.reply(200, {"state": "done"})
    finished, log = http_dags.run("ready")
    assert finished.state == "success", log
    assert [c.method for c in service.calls] == ["GET"] * 4
    assert service.calls[0].path == "/jobs/20261128"
    assert "Success criteria met after 4 poke(s)" in log


def test_times_out_when_the_resource_never_appears(
    http_dags: DagFolder, service: FakeService
) -> None:
    service.reply(404, times=1000)
    finished, _ = http_dags.run("short")
    assert finished.state == "failed"
    assert finished.error.startswith("BatonSensorTimeout: sensor 'short' timed out")


def test_a_client_error_fails_the_poke(http_dags: DagFolder, service: FakeService) -> None:
    service.reply(403, "not for you")
    finished, _ = http_dags.run("short")
    assert finished.state == "failed"
    assert "answered 403" in finished.error and "not for you" in finished.error
    assert len(service.calls) == 1  # no second poke (5xx and 404 are "not yet", see below)
