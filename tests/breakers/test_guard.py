"""``guard()`` as any hook uses it: a context manager or a decorator, with a failure filter."""

from __future__ import annotations

import pytest

from scheduler.breakers import BreakerPolicy, CircuitBreaker
from scheduler.errors import CircuitOpenError


def test_guard_as_a_decorator_counts_only_what_is_failure_says(sqlite_url: str) -> None:
    breaker = CircuitBreaker("api", BreakerPolicy(failure_threshold=2), database_url=sqlite_url)

    @breaker.guard(is_failure=lambda exc: isinstance(exc, ConnectionError))
    def call(exc: Exception) -> None:
        raise exc

    for _ in range(3):  # a bad request is not the service failing
        with pytest.raises(ValueError):
            call(ValueError("bad input"))
    assert breaker.read() is None or breaker.read().state == "closed"
    for _ in range(2):
        with pytest.raises(ConnectionError):
            call(ConnectionError("refused"))
    with pytest.raises(CircuitOpenError):
        call(ConnectionError("never raised: the call does not happen"))
    view = breaker.read()
    assert view is not None and view.consecutive_failures == 2
    assert view.last_error == "ConnectionError: refused"


def test_mark_failure_counts_without_raising(sqlite_url: str) -> None:
    breaker = CircuitBreaker("api", BreakerPolicy(failure_threshold=1), database_url=sqlite_url)
    with breaker.guard() as call:
        call.mark_failure("HTTP 503 Service Unavailable")
    view = breaker.read()
    assert view is not None and view.state == "open"
    assert view.last_error == "HTTP 503 Service Unavailable"


def test_a_disabled_breaker_never_touches_the_database() -> None:
    breaker = CircuitBreaker(
        "api", BreakerPolicy(enabled=False), database_url="sqlite:////nonexistent/dir/x.db"
    )
    with pytest.raises(ConnectionError), breaker.guard():
        raise ConnectionError("down")
