"""The breaker's state machine, as pure functions (no database, the clock an argument)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from scheduler.breakers import BreakerPolicy, BreakerView
from scheduler.breakers.transitions import Admission, admission, after_outcome, claimed
from scheduler.errors import BreakerConfigError

T0 = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
ME = "worker:1@host/abc"


def failures(view: BreakerView, policy: BreakerPolicy, n: int, start: datetime = T0):
    for i in range(n):
        view = after_outcome(view, policy, start + timedelta(seconds=i), False, ME, "boom")
    return view


def test_consecutive_failures_open_it_and_a_success_resets_the_count() -> None:
    policy = BreakerPolicy(failure_threshold=3, reset_timeout_s=10)
    view = failures(BreakerView("c"), policy, 2)
    view = after_outcome(view, policy, T0, True, ME)
    assert (view.state, view.consecutive_failures) == ("closed", 0)
    view = failures(view, policy, 3)
    assert view.state == "open" and view.last_error == "boom"
    assert view.half_open_at == view.opened_at + timedelta(seconds=10)


def test_the_failure_rate_over_the_window_opens_it() -> None:
    policy = BreakerPolicy(failure_threshold=0, failure_rate=0.5, window_s=60, min_calls=4)
    view = BreakerView("c")
    for ok in (True, False, True):  # 1 of 3: under min_calls anyway
        view = after_outcome(view, policy, T0, ok, ME)
    assert view.state == "closed"
    view = after_outcome(view, policy, T0, False, ME)  # 2 of 4 = 50 %
    assert view.state == "open"


def test_the_window_restarts_once_it_is_over() -> None:
    policy = BreakerPolicy(failure_threshold=0, failure_rate=0.5, window_s=10, min_calls=2)
    view = after_outcome(BreakerView("c"), policy, T0, False, ME)
    view = after_outcome(view, policy, T0 + timedelta(seconds=11), True, ME)
    assert (view.window_calls, view.window_failures, view.state) == (1, 0, "closed")


def test_admission_follows_the_cool_down_and_the_probe() -> None:
    policy = BreakerPolicy(failure_threshold=1, reset_timeout_s=10)
    view = failures(BreakerView("c"), policy, 1)
    assert admission(None, policy, T0) is Admission.ALLOW
    assert admission(view, policy, T0 + timedelta(seconds=5)) is Admission.REFUSE
    assert admission(view, policy, T0 + timedelta(seconds=10)) is Admission.PROBE
    probing = claimed(view, ME, T0 + timedelta(seconds=10))
    assert admission(probing, policy, T0 + timedelta(seconds=11)) is Admission.REFUSE
    # a probe whose process died is re-claimable after probe_timeout_s
    later = T0 + timedelta(seconds=10 + policy.probe_timeout_s)
    assert admission(probing, policy, later) is Admission.PROBE


def test_only_the_probe_owner_closes_or_reopens_it() -> None:
    policy = BreakerPolicy(failure_threshold=1, reset_timeout_s=10)
    probing = claimed(failures(BreakerView("c"), policy, 1), ME, T0 + timedelta(seconds=10))
    late = after_outcome(probing, policy, T0, True, "worker:2@host/def")
    assert late.state == "half_open"  # a call begun before the breaker opened
    assert after_outcome(probing, policy, T0, True, ME).state == "closed"
    assert after_outcome(probing, policy, T0, False, ME).state == "open"


def test_the_policy_comes_from_connection_extras_even_as_strings() -> None:
    policy = BreakerPolicy.from_extra(
        {"breaker_failure_threshold": "2", "breaker_when_open": "wait", "timeout": 3}, "api"
    )
    assert (policy.failure_threshold, policy.when_open) == (2, "wait")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"breaker_treshold": 1}, "unknown extra 'breaker_treshold'"),
        ({"breaker_when_open": "later"}, "breaker_when_open='later' must be 'fail' or 'wait'"),
        ({"breaker_failure_rate": 2}, "breaker_failure_rate=2.0 must be in (0, 1]"),
        ({"breaker_window_s": "soon"}, "extra breaker_window_s='soon' is not a float"),
    ],
)
def test_bad_extras_name_the_connection_and_the_value(extra: dict, message: str) -> None:
    with pytest.raises(BreakerConfigError) as error:
        BreakerPolicy.from_extra(extra, "api")
    assert str(error.value).startswith("connection 'api': ")
    assert message in str(error.value)


def test_an_adaptive_connection_leaves_429s_to_its_throttle_unless_told_otherwise() -> None:
    assert BreakerPolicy.from_extra({}, "c").is_outage_status(429)
    adaptive = BreakerPolicy.from_extra({"adaptive": "true"}, "c")
    assert not adaptive.is_outage_status(429) and adaptive.is_outage_status(503)
    counted = BreakerPolicy.from_extra({"adaptive": True, "breaker_failure_statuses": [429]}, "c")
    assert counted.is_outage_status(429)
