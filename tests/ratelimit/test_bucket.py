"""One bucket shared by processes through the database (SQLite file, PostgreSQL)."""

from __future__ import annotations

import multiprocessing
import time

import pytest

from scheduler.connections import Connection
from scheduler.errors import RateLimitConfigError, RateLimitTimeoutError
from scheduler.ratelimit import acquire, acquire_for_connection
from scheduler.store import rate_limits
from scheduler.store.db import make_engine, transaction

from .conftest import max_in_window


def _take_many(url: str, limit: str, count: int, out: multiprocessing.Queue) -> None:
    times = []
    for _ in range(count):
        acquire("svc", 30, limit=limit, database_url=url)
        times.append(time.time())
    out.put(times)


def in_processes(url: str, limit: str, counts: list[int]) -> list[float]:
    """Each process takes ``count`` tokens; the wall times at which each one got its token."""
    context = multiprocessing.get_context("spawn")  # no inherited engines or locks
    out = context.Queue()
    workers = [context.Process(target=_take_many, args=(url, limit, n, out)) for n in counts]
    for worker in workers:
        worker.start()
    times = [t for _ in workers for t in out.get(timeout=60)]
    for worker in workers:
        worker.join(10)
        assert worker.exitcode == 0
    return times


def test_two_processes_share_one_limit(bucket_url: str) -> None:
    times = in_processes(bucket_url, "10/s", [15, 15])
    assert len(times) == 30
    # rate x 1 s + the burst of 1, + 1 for when a busy machine wakes a sleeper late and its
    # call lands beside the next one (the bucket's own grants are 0.1 s apart)
    assert max_in_window(times) <= 12, sorted(times)
    span = max(times) - min(times)
    assert span >= 2.8  # 29 tokens after the first, 0.1 s apart: not 2 x 10/s
    assert 29 / span <= 10.5


def test_calls_are_spread_at_the_rate(bucket_url: str) -> None:
    started = time.monotonic()
    waits = [acquire("svc", 10, limit="5/s", database_url=bucket_url) for _ in range(6)]
    elapsed = time.monotonic() - started
    assert waits[0] == 0.0  # a new bucket is full
    # Each later call waits what is left of its 0.2 s (less on a machine slow between calls),
    # so the six calls span five intervals however the time was spent.
    assert all(0.0 <= w <= 0.21 for w in waits[1:]), waits
    assert elapsed >= 0.95


def test_a_burst_goes_at_once_then_the_rate_applies(bucket_url: str) -> None:
    with transaction(make_engine(bucket_url)) as session:
        taken = [
            rate_limits.take(session, "connection", "b", rate=2, burst=3, max_wait_s=10)
            for _ in range(4)
        ]
    assert [t.wait_s for t in taken[:3]] == [0.0, 0.0, 0.0]
    # 2/s with a burst of 3: the fourth is due 0.5 s after the burst (less the time the
    # three takes themselves took on a loaded machine)
    assert 0.0 < taken[3].wait_s <= 0.5


def test_no_token_within_the_timeout_fails_at_once_and_reserves_nothing(bucket_url: str) -> None:
    acquire("slow", 1, limit="1/m", database_url=bucket_url)  # the only token for 60 s
    started = time.monotonic()
    with pytest.raises(RateLimitTimeoutError) as caught:
        acquire("slow", 2, limit="1/m", database_url=bucket_url)
    assert time.monotonic() - started < 1.0  # no pointless wait
    message = str(caught.value)
    assert "the rate limit 1/m of connection 'slow' has no token for" in message
    assert "longer than the timeout of 2 s" in message and "rate_limit_timeout_s" in message
    with transaction(make_engine(bucket_url)) as session:
        bucket = rate_limits.read_bucket(session, "connection", "slow")
    assert bucket is not None and bucket["tokens"] == pytest.approx(0.0, abs=0.01)


def test_a_connection_without_rate_limit_is_not_limited(sqlite_bucket_url: str) -> None:
    conn = Connection(conn_id="free", conn_type="http", extra={"timeout": 5})
    assert acquire_for_connection(conn) == 0.0
    with transaction(make_engine(sqlite_bucket_url)) as session:
        assert rate_limits.read_bucket(session, "connection", "free") is None


def test_a_connection_extra_sets_the_limit(
    sqlite_bucket_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BATON_DATABASE_URL", sqlite_bucket_url)
    extra = {"rate_limit": "4/s", "rate_limit_burst": "2", "rate_limit_timeout_s": "5"}
    conn = Connection(conn_id="api", conn_type="http", extra=extra)
    waits = [acquire_for_connection(conn) for _ in range(3)]
    assert waits[:2] == [0.0, 0.0] and 0.1 < waits[2] <= 0.26
    bad = Connection(conn_id="bad", conn_type="http", extra={"rate_limit": "lots"})
    with pytest.raises(RateLimitConfigError, match=r"connection 'bad' extra rate_limit='lots'"):
        acquire_for_connection(bad)
