"""What an ``HttpSensor`` poke takes for "not yet": 404, 429, 5xx and no answer at all by
default; Airflow's ``response_error_codes_allowlist`` and ``allow_connection_errors=False``
say otherwise."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from plugins.http import HttpSensor
from scheduler.errors import DagDefinitionError
from tests.runner.support import DagFolder

from .late import LateService

DAG = """
    from scheduler import DAG
    from plugins.http import HttpSensor

    quick = dict(http_conn_id="svc", endpoint="ready", poke_interval=0.05, timeout=20)
    with DAG("demo"):
        HttpSensor(task_id="default", **quick)
        HttpSensor(task_id="airflow_default", response_error_codes_allowlist=["404"], **quick)
        HttpSensor(task_id="strict", response_error_codes_allowlist=[], **quick)
        HttpSensor(task_id="only_503", response_error_codes_allowlist=[503], **quick)
        HttpSensor(task_id="fail_unreachable", allow_connection_errors=False, **quick)
        HttpSensor(task_id="any_status", extra_options={"check_response": False},
                   response_check=lambda response: response.status_code == 418, **quick)
"""


@pytest.fixture
def late(dags: DagFolder, monkeypatch: pytest.MonkeyPatch) -> Iterator[LateService]:
    with LateService() as service:
        # A high breaker threshold: this test is about pokes, not the breaker.
        url = f"{service.url}?breaker_failure_threshold=100"
        monkeypatch.setenv("BATON_CONN_SVC", url)
        dags.write(DAG)
        yield service


@pytest.fixture
def up(late: LateService) -> LateService:
    late.open()
    return late


def test_refused_connections_then_5xx_and_429_are_not_yet(
    dags: DagFolder, late: LateService
) -> None:
    late.reply(503, "starting")
    late.reply(502)
    late.reply(429)
    late.reply(500)
    late.reply(404)
    late.reply(200, {"ready": True})
    late.open_after(0.6)  # refused until then
    finished, log = dags.run("default")
    assert finished.state == "success", log
    assert len(late.calls) == 6
    assert "Not yet: GET http://127.0.0.1:" in log and "got no answer" in log
    assert "answered 503" in log and "answered 429" in log


def test_airflows_allowlist_fails_on_a_5xx(dags: DagFolder, up: LateService) -> None:
    up.reply(404)
    up.reply(503, "down")
    finished, _ = dags.run("airflow_default")
    assert finished.state == "failed"
    assert "answered 503" in finished.error and len(up.calls) == 2


def test_an_empty_allowlist_fails_even_on_404(dags: DagFolder, up: LateService) -> None:
    up.reply(404)
    finished, _ = dags.run("strict")
    assert finished.state == "failed" and "answered 404" in finished.error


def test_codes_may_be_given_as_numbers(dags: DagFolder, up: LateService) -> None:
    up.reply(503)
    up.reply(500)
    finished, _ = dags.run("only_503")
    assert finished.state == "failed" and "answered 500" in finished.error
    assert len(up.calls) == 2


def test_connection_errors_fail_when_told_so(dags: DagFolder, late: LateService) -> None:
    finished, _ = dags.run("fail_unreachable")  # the port refuses connections
    assert finished.state == "failed"
    assert "got no answer after 1 attempt(s)" in finished.error


def test_check_response_off_gives_every_status_to_the_check(
    dags: DagFolder, up: LateService
) -> None:
    up.reply(500)
    up.reply(418)
    finished, log = dags.run("any_status")
    assert finished.state == "success", log
    assert len(up.calls) == 2


@pytest.mark.parametrize("codes", ["404", ["40x"], ["4044"]])
def test_an_allowlist_that_is_not_status_codes_is_a_dag_error(codes) -> None:
    with pytest.raises(DagDefinitionError, match="response_error_codes_allowlist"):
        HttpSensor(task_id="s", endpoint="e", response_error_codes_allowlist=codes)


def test_the_default_is_404_429_and_every_5xx() -> None:
    sensor = HttpSensor(task_id="s", endpoint="e")
    assert sensor.response_error_codes_allowlist == ("404", "429", "5")
    assert sensor.allow_connection_errors is True
