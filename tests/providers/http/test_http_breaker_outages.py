"""The HTTP hook's breaker counts outages only: no answer, a timeout, a status in
``breaker_failure_statuses`` (429/502/503/504 by default). A 500 by default, and any answer
that ``is_business_error`` classifies, show the service is up. Real tries through the
runner against a real local service."""

from __future__ import annotations

import socket
import time

import pytest

from scheduler.breakers import CircuitBreaker
from tests.runner.support import DagFolder

from .service import FakeService

DAG = """
    from scheduler import DAG
    from plugins.http import HttpOperator

    def declined(response):
        return "declined" in response.text

    with DAG("demo"):
        HttpOperator(task_id="charge", http_conn_id="pay", endpoint="charge", max_attempts=1)
        HttpOperator(task_id="retrying", http_conn_id="pay", endpoint="charge",
                     max_attempts=4, retry_backoff=0.01, is_business_error=declined)
        HttpOperator(task_id="custom", http_conn_id="strict", endpoint="charge",
                     max_attempts=1)
        HttpOperator(task_id="slow", http_conn_id="pay", endpoint="charge", max_attempts=1,
                     timeout=0.3)
        HttpOperator(task_id="nowhere", http_conn_id="closed_port", endpoint="x",
                     max_attempts=1)
        HttpOperator(task_id="quick", http_conn_id="quick", endpoint="charge",
                     max_attempts=1, is_business_error=declined)
"""


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens there once the probe is closed


@pytest.fixture
def http_dags(dags: DagFolder, service: FakeService, monkeypatch: pytest.MonkeyPatch) -> DagFolder:
    base = f"http://127.0.0.1:{service.port}/"
    breaker = "breaker_failure_threshold=2&breaker_reset_timeout_s=60"
    monkeypatch.setenv("BATON_CONN_PAY", f"{base}?{breaker}")
    monkeypatch.setenv("BATON_CONN_STRICT", f"{base}?{breaker}&breaker_failure_statuses=500")
    monkeypatch.setenv(
        "BATON_CONN_QUICK", f"{base}?breaker_failure_threshold=1&breaker_reset_timeout_s=0.2"
    )
    monkeypatch.setenv("BATON_CONN_CLOSED_PORT", f"http://127.0.0.1:{closed_port()}/?{breaker}")
    dags.write(DAG)
    return dags


def state(database: str, conn_id: str) -> tuple[str, int] | None:
    view = CircuitBreaker(conn_id, database_url=database).read()
    return None if view is None else (view.state, view.consecutive_failures)


def test_a_500_is_an_answer_and_leaves_the_breaker_closed(
    http_dags: DagFolder, service: FakeService, database: str
) -> None:
    service.reply(500, {"error": "payment declined"}, times=5)
    for n in range(1, 6):
        finished, _ = http_dags.run("charge", try_number=n)
        assert finished.state == "failed" and "answered 500" in finished.error
    assert len(service.calls) == 5  # every order reached the service
    assert state(database, "pay") == ("closed", 0)


@pytest.mark.parametrize("status", [429, 502, 503, 504])
def test_outage_statuses_open_it(
    http_dags: DagFolder, service: FakeService, database: str, status: int
) -> None:
    service.reply(status, times=2)
    for n in (1, 2):
        http_dags.run("charge", try_number=n)
    assert state(database, "pay") == ("open", 2)
    finished, _ = http_dags.run("charge", try_number=3)
    assert "CircuitOpenError" in finished.error and len(service.calls) == 2


def test_the_statuses_are_configurable_per_connection(
    http_dags: DagFolder, service: FakeService, database: str
) -> None:
    service.reply(503, times=2)  # not in this connection's list [500]
    http_dags.run("custom", try_number=1)
    http_dags.run("custom", try_number=2)
    assert state(database, "strict") == ("closed", 0)
    service.reply(500, times=2)
    http_dags.run("custom", try_number=3)
    http_dags.run("custom", try_number=4)
    assert state(database, "strict") == ("open", 2)


def test_a_business_error_is_not_counted_nor_retried_within_the_try(
    http_dags: DagFolder, service: FakeService, database: str
) -> None:
    service.reply(503, {"error": "card declined"}, times=3)  # an outage status, but classified
    for n in (1, 2, 3):
        finished, log = http_dags.run("retrying", try_number=n)
        assert finished.state == "failed"
        assert finished.error.startswith("HttpBusinessError: POST")
        assert "a business error per is_business_error (not retried" in finished.error
        assert finished.retryable is False  # the task's retries do not apply either
        assert "card declined" in finished.error
    assert len(service.calls) == 3  # one attempt per try: no in-try retry of a refusal
    assert "answered 503 (a business error)" in log
    assert state(database, "pay") == ("closed", 0)


def test_a_classified_200_fails_the_try_too(http_dags: DagFolder, service: FakeService) -> None:
    service.reply(200, {"status": "declined"})
    finished, _ = http_dags.run("retrying")
    assert finished.state == "failed" and "HttpBusinessError" in finished.error


def test_outages_between_business_errors_still_add_up(
    http_dags: DagFolder, service: FakeService, database: str
) -> None:
    service.reply(503, {"error": "unavailable"})
    service.reply(503, {"error": "unavailable"})
    service.reply(503, {"error": "unavailable"})
    service.reply(503, {"error": "unavailable"})
    finished, _ = http_dags.run("retrying")  # 4 attempts: threshold 2 opens it on the 2nd
    assert "CircuitOpenError" in finished.error and len(service.calls) == 2
    assert state(database, "pay") == ("open", 2)


def test_no_answer_and_timeouts_count(
    http_dags: DagFolder, service: FakeService, database: str
) -> None:
    for n in (1, 2):
        finished, _ = http_dags.run("nowhere", try_number=n)
        assert "got no answer" in finished.error
    assert state(database, "closed_port") == ("open", 2)
    service.reply(200, {}, delay_s=1.0, times=2)
    for n in (1, 2):
        finished, _ = http_dags.run("slow", try_number=n)
        assert "Timeout" in finished.error
    assert state(database, "pay") == ("open", 2)


def test_a_business_error_answering_the_probe_closes_the_breaker(
    http_dags: DagFolder, service: FakeService, database: str
) -> None:
    service.reply(503)
    http_dags.run("quick", try_number=1)
    assert state(database, "quick") == ("open", 1)
    time.sleep(0.3)  # the cool-down: the next call is the probe
    service.reply(500, {"error": "declined"})
    finished, _ = http_dags.run("quick", try_number=2)
    assert "HttpBusinessError" in finished.error  # the service answered: it is up
    assert state(database, "quick") == ("closed", 0)
