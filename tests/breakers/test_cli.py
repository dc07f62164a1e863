"""``baton breakers list`` and ``baton breakers reset`` over a real database."""

from __future__ import annotations

import json

from click.testing import CliRunner

from scheduler.breakers import BreakerPolicy
from scheduler.cli import cli

from .workers import CONN_ID, call_once


def baton(sqlite_url: str, *args: str):
    return CliRunner().invoke(cli, list(args), env={"BATON_DATABASE_URL": sqlite_url})


def test_list_shows_an_open_breaker_and_reset_closes_it(sqlite_url: str) -> None:
    policy = BreakerPolicy(failure_threshold=2, reset_timeout_s=60)
    for _ in range(2):
        call_once(sqlite_url, policy, fail=True)
    result = baton(sqlite_url, "breakers", "list", "-o", "json")
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.output)
    assert (row["conn_id"], row["state"], row["failures"]) == (CONN_ID, "open", 2)
    assert row["opened_at"] < row["half_open_at"]
    table = baton(sqlite_url, "breakers", "list").output
    assert table.splitlines()[0].split()[:4] == ["CONN_ID", "STATE", "FAILURES", "OPENED_AT"]

    result = baton(sqlite_url, "breakers", "reset", CONN_ID)
    assert result.exit_code == 0, result.output
    assert call_once(sqlite_url, policy, fail=False).result == "ok"
    (row,) = json.loads(baton(sqlite_url, "breakers", "list", "-o", "json").output)
    assert (row["state"], row["failures"], row["opened_at"]) == ("closed", 0, None)


def test_reset_of_an_unknown_connection_says_how_to_find_the_known_ones(sqlite_url: str) -> None:
    result = baton(sqlite_url, "breakers", "reset", "nope")
    assert result.exit_code != 0
    assert "connection 'nope' has no circuit breaker yet" in str(result.exception)


def test_list_shows_each_connections_adaptive_throttle_beside_its_breaker(sqlite_url: str) -> None:
    from scheduler.throttle import AdaptiveThrottle, ThrottledCall, ThrottlePolicy

    call_once(sqlite_url, BreakerPolicy(), fail=False)  # CONN_ID has a breaker, no throttle
    policy = ThrottlePolicy(max_rate=20.0, min_rate=1.0, initial_rate=20.0, increase=1.0)
    throttle = AdaptiveThrottle("legacy", policy, database_url=sqlite_url)
    call = ThrottledCall("legacy", policy, started_at=throttle.wait_for_turn())
    call.overloaded("HTTP 503 Service Unavailable")
    throttle.record(call, None)

    rows = json.loads(baton(sqlite_url, "breakers", "list", "-o", "json").output)
    by_conn = {row["conn_id"]: row for row in rows}
    assert by_conn[CONN_ID]["throttle"] is None and by_conn[CONN_ID]["state"] == "closed"
    legacy = by_conn["legacy"]
    assert (legacy["throttle"], legacy["throttle_rate"], legacy["throttle_max_rate"]) == (
        "throttled",
        10.0,
        20.0,
    )
    assert legacy["throttle_last_signal"] == "HTTP 503 Service Unavailable"
    table = baton(sqlite_url, "breakers", "list").output.splitlines()
    assert "THROTTLE" in table[0] and "THROTTLE_RATE" in table[0]
    assert any(line.startswith("legacy") and "throttled" in line for line in table)
