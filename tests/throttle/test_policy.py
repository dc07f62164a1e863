"""``ThrottlePolicy.from_extra``: opting in, the defaults, and errors that name the fix."""

from __future__ import annotations

import pytest

from scheduler.throttle import OVERLOAD_STATUSES, ThrottleConfigError, ThrottlePolicy


def test_off_unless_the_connection_opts_in() -> None:
    assert ThrottlePolicy.from_extra({}, "c") is None
    assert ThrottlePolicy.from_extra({"adaptive": "false"}, "c") is None
    assert ThrottlePolicy.from_extra({"rate_limit": "5/s"}, "c") is None


def test_defaults_and_the_rate_limit_as_ceiling() -> None:
    policy = ThrottlePolicy.from_extra({"adaptive": True}, "c")
    assert policy is not None
    assert (policy.max_rate, policy.initial_rate, policy.increase) == (10.0, 10.0, 0.5)
    assert policy.min_rate == pytest.approx(1 / 60)
    assert policy.statuses == OVERLOAD_STATUSES and policy.decrease == 0.5
    capped = ThrottlePolicy.from_extra({"adaptive": "true", "rate_limit": "120/m"}, "c")
    assert capped is not None and capped.max_rate == 2.0


def test_every_extra_is_read() -> None:
    extra = {
        "adaptive": "yes",
        "adaptive_max_rate": "50/s",
        "adaptive_min_rate": "2/s",
        "adaptive_initial_rate": "100/s",  # above the max: starts at the max
        "adaptive_increase": "3",
        "adaptive_decrease": 0.7,
        "adaptive_probe_after_s": 10,
        "adaptive_statuses": "429,503",
        "adaptive_latency_factor": 0,
        "adaptive_latency_min_s": 1,
        "adaptive_timeout_s": 30,
    }
    policy = ThrottlePolicy.from_extra(extra, "c")
    assert policy == ThrottlePolicy(50.0, 2.0, 50.0, 3.0, 0.7, 10.0, (429, 503), 0.0, 1.0, 30.0)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"adaptive": "maybe"}, "extra adaptive='maybe' is not true or false"),
        ({"adaptive_max_rate": "fast"}, "extra adaptive_max_rate='fast' is not a rate limit"),
        ({"adaptive_decrease": 1.5}, "adaptive_decrease=1.5 must be a number > 0 and < 1"),
        ({"adaptive_increase": "x"}, "adaptive_increase='x' must be a number > 0"),
        ({"adaptive_statuses": '[429, "x"]'}, "is not a list of HTTP statuses"),
    ],
)
def test_bad_values_name_the_connection_the_key_and_the_fix(extra: dict, message: str) -> None:
    with pytest.raises(ThrottleConfigError, match="connection 'api'") as caught:
        ThrottlePolicy.from_extra({"adaptive": True, **extra}, "api")
    assert message in str(caught.value)


def test_connections_add_refuses_bad_adaptive_extras_before_storing(
    sqlite_throttle_url: str,
) -> None:
    from click.testing import CliRunner

    from scheduler.cli import cli

    env = {"BATON_DATABASE_URL": sqlite_throttle_url}
    extra = '{"adaptive": true, "adaptive_decrease": 2}'
    args = ["connections", "add", "api", "--conn-type", "http", "--conn-extra", extra]
    result = CliRunner().invoke(cli, args, env=env)
    assert result.exit_code != 0
    assert "connection 'api': extra adaptive_decrease=2 must be a number > 0 and < 1" in (
        result.output + str(result.exception)
    )
    listed = CliRunner().invoke(cli, ["connections", "list", "-o", "json"], env=env)
    assert '"api"' not in listed.output  # nothing was stored
