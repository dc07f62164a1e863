"""Retries within a try (5xx, 429, Retry-After, same Idempotency-Key) and the breaker."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from plugins.http import HttpRetryPolicy, parse_retry_after
from scheduler.breakers import CircuitBreaker
from tests.runner.support import DagFolder, xcom

from .service import FakeService

DAG = """
    from scheduler import DAG
    from plugins.http import HttpOperator

    with DAG("demo"):
        HttpOperator(task_id="call", http_conn_id="svc", endpoint="pay", data={"n": 1},
                     max_attempts=4, retry_backoff=0.05, max_retry_backoff=0.2)
        HttpOperator(task_id="once", http_conn_id="fragile", endpoint="pay", max_attempts=1)
        HttpOperator(task_id="fragile", http_conn_id="fragile", endpoint="pay", max_attempts=4,
                     retry_backoff=0.05)
"""


@pytest.fixture
def http_dags(dags: DagFolder, service: FakeService, monkeypatch: pytest.MonkeyPatch) -> DagFolder:
    monkeypatch.setenv("BATON_CONN_SVC", f"http://127.0.0.1:{service.port}")
    extra = "breaker_failure_threshold=2&breaker_reset_timeout_s=60"
    monkeypatch.setenv("BATON_CONN_FRAGILE", f"http://127.0.0.1:{service.port}/?{extra}")
    dags.write(DAG)
    return dags


def gaps(service: FakeService) -> list[float]:
    times = [c.at for c in service.calls]
    return [b - a for a, b in itertools.pairwise(times)]


def test_5xx_are_retried_with_the_same_idempotency_key(
    http_dags: DagFolder, service: FakeService
) -> None:
    service.reply(503)
    service.reply(502)
    service.reply(200, {"paid": True})
    finished, log = http_dags.run("call")
    assert finished.state == "success", log
    assert xcom(finished) == {"paid": True}
    assert len(service.calls) == 3
    keys = {c.headers["idempotency-key"] for c in service.calls}
    assert keys == {"demo/manual__1/call"}
    assert all(c.json() == {"n": 1} for c in service.calls)
    assert "HTTP 503; retrying in" in log and "(attempt 3 of 4)" in log


def test_429_waits_at_least_retry_after_seconds(http_dags: DagFolder, service: FakeService) -> None:
    service.reply(429, {"error": "slow down"}, headers={"Retry-After": "1"})
    service.reply(200, {"paid": True})
    finished, log = http_dags.run("call")
    assert finished.state == "success", log
    assert gaps(service)[0] >= 1.0
    assert "(Retry-After 1 s)" in log


def test_retry_after_as_an_http_date_is_honoured(
    http_dags: DagFolder, service: FakeService
) -> None:
    when = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=3)
    service.reply(503, headers={"Retry-After": format_datetime(when, usegmt=True)})
    service.reply(200, {})
    finished, log = http_dags.run("call")
    assert finished.state == "success", log
    _, second = service.calls
    assert second.wall + 0.01 >= when.timestamp()  # it waited for the date given


def test_the_try_fails_after_max_attempts(http_dags: DagFolder, service: FakeService) -> None:
    service.reply(500, "boom", times=4)
    finished, _ = http_dags.run("call")
    assert finished.state == "failed"
    assert len(service.calls) == 4
    assert "answered 500" in finished.error and "boom" in finished.error
    assert all(g >= 0.02 for g in gaps(service))  # backoff between attempts


def test_the_breaker_opens_after_n_failures_and_then_fails_fast(
    http_dags: DagFolder, service: FakeService, database: str
) -> None:
    service.reply(503, times=2)  # an outage status (a plain 500 is an answer)
    assert http_dags.run("once")[0].state == "failed"
    assert http_dags.run("once", try_number=2)[0].state == "failed"
    view = CircuitBreaker("fragile", database_url=database).read()
    assert view is not None and view.state == "open"
    finished, _ = http_dags.run("once", try_number=3)
    assert finished.state == "failed"
    assert len(service.calls) == 2  # the service saw no third call
    assert finished.error.startswith(
        "CircuitOpenError: the circuit breaker of connection 'fragile'"
    )
    assert "is open since" in finished.error and "half-opens at" in finished.error


def test_a_breaker_opening_mid_try_stops_the_in_try_retries(
    http_dags: DagFolder, service: FakeService
) -> None:
    service.reply(503, times=4)
    finished, _ = http_dags.run("fragile")
    assert finished.state == "failed"
    assert len(service.calls) == 2  # threshold 2: the third attempt failed fast
    assert "CircuitOpenError" in finished.error


def test_parse_retry_after() -> None:
    now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    assert parse_retry_after("7", now) == 7.0
    assert parse_retry_after("Sat, 28 Nov 2026 12:00:30 GMT", now) == 30.0
    assert parse_retry_after("Sat, 28 Nov 2026 11:00:00 GMT", now) == 0.0
    assert parse_retry_after("soon", now) is None and parse_retry_after(None) is None


def test_backoff_grows_is_capped_and_respects_retry_after() -> None:
    policy = HttpRetryPolicy(backoff_s=1, max_backoff_s=4)
    assert 0.5 <= policy.delay_s(1) <= 1
    assert 2 <= policy.delay_s(4) <= 4  # 8 capped at 4, jitter keeps at least half
    assert policy.delay_s(1, retry_after_s=10) == 10
