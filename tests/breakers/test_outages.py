"""What counts as an outage (``breaker_failure_statuses``) and the state the breaker shows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from scheduler.breakers import HALF_OPEN, OPEN, BreakerPolicy, BreakerView
from scheduler.breakers.transitions import Admission, admission, after_outcome, shown
from scheduler.errors import BreakerConfigError

T0 = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def test_by_default_429_502_503_504_are_outages_and_500_is_an_answer() -> None:
    policy = BreakerPolicy()
    assert [s for s in (400, 404, 409, 429, 500, 502, 503, 504) if policy.is_outage_status(s)] == [
        429,
        502,
        503,
        504,
    ]


@pytest.mark.parametrize("raw", ["[500, 503]", "500,503", [500, 503], (500, 503), "[500,503]"])
def test_the_statuses_come_from_extras_as_json_or_a_uri_list(raw: object) -> None:
    policy = BreakerPolicy.from_extra({"breaker_failure_statuses": raw}, "pay")
    assert policy.failure_statuses == (500, 503)
    assert policy.is_outage_status(500) and not policy.is_outage_status(429)


def test_an_empty_list_counts_only_calls_without_an_answer() -> None:
    policy = BreakerPolicy.from_extra({"breaker_failure_statuses": "[]"}, "pay")
    assert not any(policy.is_outage_status(s) for s in (429, 500, 503))


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("soon", "extra breaker_failure_statuses='soon' is not a list of HTTP statuses"),
        ("[700]", "breaker_failure_statuses=[700] must be a list of HTTP statuses (100-599)"),
        (503, "breaker_failure_statuses=503 is not a list of HTTP statuses"),
    ],
)
def test_bad_statuses_name_the_connection_and_an_example(raw: object, message: str) -> None:
    with pytest.raises(BreakerConfigError) as caught:
        BreakerPolicy.from_extra({"breaker_failure_statuses": raw}, "pay")
    assert str(caught.value).startswith("connection 'pay': ")
    assert message in str(caught.value) and "[429, 502, 503, 504]" in str(caught.value)


def test_an_open_breaker_shows_half_open_once_the_cool_down_has_passed() -> None:
    policy = BreakerPolicy(failure_threshold=1, reset_timeout_s=30)
    view = after_outcome(BreakerView("pay"), policy, T0, ok=False, owner="w1", error="HTTP 503")
    assert view.state == OPEN
    assert shown(view, T0 + timedelta(seconds=29)).state == OPEN
    due = T0 + timedelta(seconds=30)
    # What it shows is what it does: the next call is admitted as the probe.
    assert shown(view, due).state == HALF_OPEN
    assert admission(view, policy, due) is Admission.PROBE
    assert shown(view, due).opened_at == T0  # the rest of the row is as stored
    assert view.state == OPEN  # the row itself is left for the probe to claim


def test_closed_and_half_open_breakers_show_as_they_are() -> None:
    assert shown(BreakerView("pay"), T0).state == "closed"
    probing = BreakerView("pay", state=HALF_OPEN, probe_owner="w1", probe_started_at=T0)
    assert shown(probing, T0 + timedelta(hours=1)) == probing
