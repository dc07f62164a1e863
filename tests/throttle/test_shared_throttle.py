"""The throttle shared through the database (SQLite and PostgreSQL): what one caller learns
slows the others, a Retry-After postpones every turn, each change is an event; and the
bundled hooks feed it (HttpHook against the real local service, SqlHook on PostgreSQL)."""

from __future__ import annotations

import itertools
import time

import pytest
from sqlalchemy import select

from plugins.http import HttpHook, HttpRetryPolicy
from plugins.sql import SqlHook
from scheduler.store.db import make_engine, transaction
from scheduler.store.models import event_table
from scheduler.throttle import AdaptiveThrottle, ThrottledCall, ThrottlePolicy, ThrottleTimeoutError
from scheduler.throttle.store import read_throttle
from tests.providers.http.service import FakeService

POLICY = ThrottlePolicy(max_rate=20.0, min_rate=1.0, initial_rate=20.0, increase=2.0)


def throttle(url: str, slots: list[float] | None = None, **policy: float) -> AdaptiveThrottle:
    """A throttle whose sleeps return at once, noting when each would have ended in
    ``slots`` (monotonic time): the turns it was given."""
    chosen = ThrottlePolicy(**{**POLICY.__dict__, **policy})
    noted = slots if slots is not None else []
    return AdaptiveThrottle(
        "api", chosen, database_url=url, sleep=lambda s: noted.append(time.monotonic() + s)
    )


def gaps(slots: list[float]) -> list[float]:
    return [later - earlier for earlier, later in itertools.pairwise(slots)]


def events(url: str) -> list[tuple[str, str, str]]:
    with transaction(make_engine(url, write=False)) as session:
        rows = session.execute(
            select(event_table.c.old_state, event_table.c.new_state, event_table.c.detail)
            .where(event_table.c.event == "throttle")
            .order_by(event_table.c.id)
        )  # fmt: skip
        return [tuple(row) for row in rows]


def push_back(owner: AdaptiveThrottle, retry_after_s: float | None = None) -> None:
    call = ThrottledCall("api", owner.policy, started_at=owner.wait_for_turn())
    call.overloaded("HTTP 429 Too Many Requests", retry_after_s=retry_after_s)
    owner.record(call, None)


def test_a_push_back_seen_by_one_caller_slows_every_caller(throttle_url: str) -> None:
    slots: list[float] = []
    first, second = throttle(throttle_url), throttle(throttle_url, slots)
    push_back(first)
    for _ in range(4):
        second.wait_for_turn()
    assert gaps(slots)[-2:] == [pytest.approx(0.1, abs=0.02)] * 2  # 10/s, not 20/s
    (change,) = events(throttle_url)
    assert change == (
        "full",
        "throttled",
        "connection 'api': 20/s -> 10/s after HTTP 429 Too Many Requests",
    )


def test_retry_after_postpones_every_turn_then_calls_resume_one_by_one(throttle_url: str) -> None:
    slots: list[float] = []
    paused_at = time.monotonic()
    push_back(throttle(throttle_url), retry_after_s=2)
    later = throttle(throttle_url, slots)
    for _ in range(3):
        later.wait_for_turn()
    assert slots[0] - paused_at == pytest.approx(2.0, abs=0.15)
    assert gaps(slots) == [pytest.approx(0.1, abs=0.02)] * 2  # not all at once after it
    (change,) = events(throttle_url)
    assert change[:2] == ("full", "paused") and "paused 2.0 s (Retry-After)" in change[2]


def test_recovery_to_the_full_rate_is_an_event(throttle_url: str) -> None:
    owner = throttle(throttle_url, [], increase=50.0, probe_after_s=0.0)
    push_back(owner)
    for _ in range(5):
        owner.record(ThrottledCall("api", owner.policy, started_at=owner.wait_for_turn()), 0.01)
    assert [e[:2] for e in events(throttle_url)] == [("full", "throttled"), ("throttled", "full")]
    assert "back at its full rate 20/s" in events(throttle_url)[-1][2]


def test_a_turn_further_away_than_the_timeout_fails_at_once(throttle_url: str) -> None:
    push_back(throttle(throttle_url), retry_after_s=60)
    expected = r"connection 'api' has no turn for (59|60)\.\d s, longer than adaptive_timeout_s=5"
    with pytest.raises(ThrottleTimeoutError, match=expected):
        throttle(throttle_url, timeout_s=5.0).wait_for_turn()


def test_http_hook_honours_retry_after_and_lowers_the_rate(
    sqlite_throttle_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BATON_DATABASE_URL", sqlite_throttle_url)
    with FakeService() as service:
        monkeypatch.setenv(
            "BATON_CONN_API", f"{service.url}?adaptive=true&adaptive_max_rate=50%2Fs"
        )
        service.reply(429, headers={"Retry-After": "1"})
        hook = HttpHook("GET", "api", retry_policy=HttpRetryPolicy(max_attempts=1))
        statuses = [
            hook.run("x", extra_options={"check_response": False}).status_code for _ in range(3)
        ]
        times = [call.at for call in service.calls]
    assert statuses == [429, 200, 200]
    assert times[1] - times[0] >= 0.95  # the Retry-After, although the hook does not retry
    assert not any(key.startswith("adaptive") for key in service.calls[0].headers)
    with transaction(make_engine(sqlite_throttle_url)) as session:
        view = read_throttle(session, "api")
    assert view is not None and view.rate < 26 and view.overloads == 1 and view.calls == 3


def test_sql_hook_counts_statements_but_not_a_bad_query_as_overload(
    postgres_throttle_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BATON_DATABASE_URL", postgres_throttle_url)
    monkeypatch.setenv("BATON_CONN_WH", "postgres://postgres@127.0.0.1:5432/test?adaptive=true")
    hook = SqlHook("wh")
    started = time.monotonic()
    assert hook.get_first("SELECT 1")[0] == 1
    with pytest.raises(Exception, match="no_such_table"):
        hook.run("SELECT * FROM no_such_table")
    assert time.monotonic() - started < 5
    with transaction(make_engine(postgres_throttle_url)) as session:
        view = read_throttle(session, "wh")
    assert view is not None and (view.calls, view.overloads) == (1, 0)
