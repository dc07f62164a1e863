"""One breaker shared by worker processes through the database (SQLite file, PostgreSQL)."""

from __future__ import annotations

import time

from scheduler.breakers import BreakerPolicy, CircuitBreaker
from scheduler.store.db import make_engine, transaction
from scheduler.store.events import list_events

from .workers import CONN_ID, call_once, in_processes

POLICY = BreakerPolicy(failure_threshold=3, reset_timeout_s=1.0)


def breaker_events(url: str) -> list[tuple[str | None, str | None, str | None]]:
    with transaction(make_engine(url)) as session:
        events = list_events(session, event="breaker")
    return [(e.old_state, e.new_state, e.detail) for e in reversed(events)]


def state(url: str) -> str:
    view = CircuitBreaker(CONN_ID, POLICY, database_url=url).read()
    return view.state if view is not None else "closed"


def wait_for_half_open_time(url: str) -> None:
    view = CircuitBreaker(CONN_ID, POLICY, database_url=url).read()
    assert view is not None and view.half_open_at is not None
    while CircuitBreaker(CONN_ID, POLICY, database_url=url).clock() < view.half_open_at:
        time.sleep(0.05)


def test_failures_from_two_workers_add_up_and_open_the_breaker(database_url: str) -> None:
    fail = {"url": database_url, "policy": POLICY, "fail": True}
    first, second = in_processes([fail, fail], [fail])
    assert [o.result for o in first + second] == ["failed"] * 3  # all three reached it
    assert state(database_url) == "open"
    assert breaker_events(database_url) == [("closed", "open", CONN_ID)]


def test_an_open_breaker_fails_fast_in_every_worker(database_url: str) -> None:
    # A cool-down longer than starting the workers can take on a loaded machine.
    policy = BreakerPolicy(failure_threshold=3, reset_timeout_s=60)
    in_processes([{"url": database_url, "policy": policy, "fail": True}] * 3)
    call = {"url": database_url, "policy": policy, "fail": False}
    outcomes = [o for worker in in_processes([call], [call]) for o in worker]
    assert {o.result for o in outcomes} == {"refused"}
    assert not any(o.reached_service for o in outcomes)
    message = outcomes[0].message
    assert f"circuit breaker of connection '{CONN_ID}' is open since" in message
    assert "after 3 consecutive failure(s)" in message
    assert "(last error: ConnectionError: service unavailable)" in message
    assert "it half-opens at" in message and f"baton breakers reset {CONN_ID}" in message


def test_after_the_cool_down_one_worker_probes_and_closes_it(database_url: str) -> None:
    in_processes([{"url": database_url, "policy": POLICY, "fail": True}] * 3)
    wait_for_half_open_time(database_url)
    probe = {"url": database_url, "policy": POLICY, "fail": False, "hold_s": 3.0}
    first, second = in_processes([probe], [probe])
    results = sorted(o.result for o in first + second)
    assert results == ["ok", "refused"]  # exactly one process got the probe
    refused = next(o for o in first + second if o.result == "refused")
    assert not refused.reached_service
    assert "is half-open" in refused.message and "another process is probing" in refused.message
    assert state(database_url) == "closed"
    assert breaker_events(database_url) == [
        ("closed", "open", CONN_ID),
        ("open", "half_open", CONN_ID),
        ("half_open", "closed", CONN_ID),
    ]
    closed_call = call_once(database_url, POLICY, fail=False)
    assert closed_call.result == "ok"


def test_a_failed_probe_opens_it_again_for_another_cool_down(database_url: str) -> None:
    in_processes([{"url": database_url, "policy": POLICY, "fail": True}] * 3)
    wait_for_half_open_time(database_url)
    (probe,) = in_processes([{"url": database_url, "policy": POLICY, "fail": True}])[0]
    assert probe.result == "failed" and probe.reached_service
    assert state(database_url) == "open"
    assert call_once(database_url, POLICY, fail=False).result == "refused"
    assert [e[:2] for e in breaker_events(database_url)] == [
        ("closed", "open"),
        ("open", "half_open"),
        ("half_open", "open"),
    ]


def test_when_open_wait_waits_for_the_cool_down_and_probes(database_url: str) -> None:
    waiting = BreakerPolicy(failure_threshold=1, reset_timeout_s=1.0, when_open="wait")
    assert call_once(database_url, waiting, fail=True).result == "failed"
    started = time.monotonic()
    outcome = call_once(database_url, waiting, fail=False)
    assert outcome.result == "ok" and outcome.reached_service
    assert time.monotonic() - started >= 0.5  # it did wait for the cool-down
    assert state(database_url) == "closed"


def test_when_open_wait_gives_up_with_a_retryable_error(database_url: str) -> None:
    policy = BreakerPolicy(
        failure_threshold=1, reset_timeout_s=60, when_open="wait", max_wait_s=0.3
    )
    call_once(database_url, policy, fail=True)
    outcome = call_once(database_url, policy, fail=False)
    assert outcome.result == "refused" and not outcome.reached_service
    assert "waited 0.3 s (breaker_max_wait_s)" in outcome.message
    assert "retried after the cool-down" in outcome.message
