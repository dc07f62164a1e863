"""The login throttle's decision, and its counters in a real database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from scheduler.store import login_throttle as throttle
from scheduler.store.db import make_engine, transaction
from scheduler.store.login_throttle import ACCOUNT, DEVICE, SOURCE, Attempt, Counter, wait_for
from scheduler.store.migrate import migrate

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
POLICY = throttle.DEFAULT_POLICY


def _counter(failures: int, first_ago: float = 60, last_ago: float = 0) -> Counter:
    return Counter(failures, NOW - timedelta(seconds=first_ago), NOW - timedelta(seconds=last_ago))


def test_the_first_failures_from_a_source_cost_nothing_then_each_waits_twice_as_long() -> None:
    assert wait_for({SOURCE: _counter(POLICY.source_free - 1)}, NOW) == 0
    assert wait_for({SOURCE: _counter(POLICY.source_free)}, NOW) == 1
    assert wait_for({SOURCE: _counter(POLICY.source_free + 3)}, NOW) == 8
    assert wait_for({SOURCE: _counter(POLICY.source_free + 30)}, NOW) == 60  # capped
    assert wait_for({SOURCE: _counter(POLICY.source_free + 3, last_ago=5)}, NOW) == 3


def test_an_account_with_too_many_failures_waits_for_the_end_of_its_window() -> None:
    locked = {ACCOUNT: _counter(POLICY.account_limit, first_ago=60)}
    assert wait_for(locked, NOW) == POLICY.window.total_seconds() - 60
    assert wait_for({ACCOUNT: _counter(POLICY.account_limit - 1)}, NOW) == 0


def test_a_trusted_device_passes_both_limits_until_it_fails_too_often_itself() -> None:
    attacked = {
        ACCOUNT: _counter(POLICY.account_limit + 20),
        SOURCE: _counter(POLICY.source_free + 20),
    }
    assert wait_for(attacked, NOW, has_device=True) == 0
    fresh = {**attacked, DEVICE: _counter(POLICY.device_limit - 1)}
    assert wait_for(fresh, NOW, has_device=True) == 0
    worn = {**attacked, DEVICE: _counter(POLICY.device_limit)}
    assert wait_for(worn, NOW, has_device=True) > 0


def test_counters_are_kept_per_digest_and_a_new_window_starts_afresh(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'baton.db'}")
    migrate(engine)
    attempt = Attempt.of(" Admin ", "10.0.0.9", None)
    assert attempt == Attempt.of("admin", "10.0.0.9", None)  # user names compare folded
    with transaction(engine) as session:
        for seconds in range(3):
            throttle.record_failure(session, attempt, NOW + timedelta(seconds=seconds))
    with transaction(engine) as session:
        counters = throttle.load(session, attempt, NOW + timedelta(seconds=3))
    assert counters[ACCOUNT] == Counter(3, NOW, NOW + timedelta(seconds=2))
    assert counters[SOURCE].failures == 3
    later = NOW + POLICY.window + timedelta(seconds=1)
    with transaction(engine) as session:
        assert throttle.load(session, attempt, later) == {}
        throttle.record_failure(session, attempt, later)
        assert throttle.load(session, attempt, later)[ACCOUNT].failures == 1
    with transaction(engine) as session:
        stored = session.scalars(throttle.select(throttle.LoginFailureRow)).all()
    assert all("admin" not in row.key and "10.0.0.9" not in row.key for row in stored)
    engine.dispose()
