"""Parsing "10/s", "100/m", "5/h" and the errors for anything else."""

from __future__ import annotations

import pytest

from scheduler.errors import RateLimitConfigError
from scheduler.ratelimit import parse_rate_limit


@pytest.mark.parametrize(
    ("text", "per_second"),
    [
        ("10/s", 10.0),
        ("100/m", 100 / 60),
        ("5/h", 5 / 3600),
        ("2 / second", 2.0),
        ("30/minutes", 0.5),
        ("0.5/s", 0.5),
        ("7/HOUR", 7 / 3600),
    ],
)
def test_accepted_forms(text: str, per_second: float) -> None:
    limit = parse_rate_limit(text)
    assert limit.per_second == pytest.approx(per_second)
    assert limit.burst == 1.0 and str(limit) == text


@pytest.mark.parametrize("text", ["10", "10/d", "ten/s", "/s", "10/s/m", "", None, "-1/s"])
def test_errors_name_the_value_and_the_accepted_forms(text: object) -> None:
    with pytest.raises(RateLimitConfigError) as caught:
        parse_rate_limit(text, where="pool 'db' rate_limit")
    message = str(caught.value)
    assert f"pool 'db' rate_limit={text!r} is not a rate limit" in message
    assert '"10/s", "100/m" or "5/h"' in message


def test_zero_allows_nothing_and_says_so() -> None:
    with pytest.raises(RateLimitConfigError, match=r"rate_limit='0/s' allows no calls"):
        parse_rate_limit("0/s")


def test_burst() -> None:
    assert parse_rate_limit("5/s", burst="3").burst == 3.0
    with pytest.raises(RateLimitConfigError, match=r"rate_limit_burst='0' is not a burst size"):
        parse_rate_limit("5/s", burst="0")
