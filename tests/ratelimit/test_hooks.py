"""The bundled hooks wait for their connection's tokens: HttpHook per call, SqlHook per
statement, against the real local HTTP service and the real PostgreSQL."""

from __future__ import annotations

import time

import pytest

from plugins.http import HttpHook
from plugins.sql import SqlHook
from scheduler.store import rate_limits
from scheduler.store.db import make_engine, transaction
from tests.providers.http.service import FakeService


@pytest.fixture(autouse=True)
def buckets(sqlite_bucket_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("BATON_DATABASE_URL", sqlite_bucket_url)  # where the buckets live
    return sqlite_bucket_url


def bucket(url: str, name: str) -> dict[str, object] | None:
    with transaction(make_engine(url)) as session:
        return rate_limits.read_bucket(session, "connection", name)


def test_http_hook_spaces_its_calls(buckets: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeService() as service:
        monkeypatch.setenv("BATON_CONN_API", f"{service.url}?rate_limit=4%2Fs")
        hook = HttpHook(method="GET", http_conn_id="api")
        for _ in range(4):
            hook.run("ping")
        times = [c.at for c in service.calls]
    assert times[-1] - times[0] >= 3 / 4 - 0.05  # 4 calls: 3 gaps of 0.25 s
    assert "rate_limit" not in service.calls[0].headers  # an extra, not a header
    assert bucket(buckets, "api") is not None


def test_sql_hook_waits_before_each_statement(
    buckets: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BATON_CONN_WH", "postgres://postgres@127.0.0.1:5432/test?rate_limit=5%2Fs")
    started = time.monotonic()
    results = SqlHook("wh").run(
        "SELECT 1; SELECT 2; SELECT 3",
        split_statements=True,
        handler=lambda cursor: cursor.fetchone()[0],
        return_last=False,
    )
    assert results == [1, 2, 3]
    assert time.monotonic() - started >= 2 / 5 - 0.05  # 3 statements: 2 gaps of 0.2 s
    assert bucket(buckets, "wh") is not None
