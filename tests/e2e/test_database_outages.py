"""Database outages survived, through the real scheduler: PostgreSQL's network cut for 5
and 60 s and its backends terminated mid-run, a full disk under SQLite. No result is lost
(every try ran exactly once), every run completes afterwards, and the scheduler says what
is happening once a second, not once per attempt. An outage longer than the limit ends the
scheduler with one clear line."""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from scheduler import api
from tests.e2e.harness import Baton
from tests.e2e.netcut import NetCut

pytestmark = pytest.mark.e2e

DAG = """
import time
from datetime import datetime, timezone
from scheduler import DAG, PythonOperator

with DAG("steady", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
         max_active_runs=20, default_args={"retries": 0}):
    first = PythonOperator(task_id="first", python_callable=lambda: time.sleep(0.2))
    middle = [PythonOperator(task_id=f"m{i}", python_callable=lambda: time.sleep(0.5))
              for i in range(3)]
    first >> middle >> PythonOperator(task_id="last", python_callable=lambda: "done")
"""


@pytest.fixture
def cut_postgres(postgres_url: str) -> Iterator[tuple[NetCut, str, str]]:
    """A proxy in front of the test's PostgreSQL database: (proxy, URL through it, direct
    URL). The scheduler uses the first URL; the test reads through the second."""
    proxy = NetCut("127.0.0.1", 5432).start()
    through = postgres_url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
    try:
        yield proxy, through, postgres_url
    finally:
        proxy.close()


def _baton(root: Path, url: str, **settings: str) -> Baton:
    baton = Baton(root, database_url=url, **settings)
    baton.write_dag("steady.py", DAG)
    return baton


def _trigger(baton: Baton, count: int, settings=None) -> list[str]:  # type: ignore[no-untyped-def]
    settings = settings or baton.settings
    return [api.trigger_dag(settings, "steady", run_id=f"r{n}").run_id for n in range(count)]


def _wait_all_succeeded(baton: Baton, runs: list[str], settings, timeout: float = 120) -> None:  # type: ignore[no-untyped-def]
    def done() -> bool:
        return all(api.get_run(settings, "steady", r).state == "success" for r in runs)

    baton.wait_until("every run to succeed", done, timeout=timeout)
    for run_id in runs:
        for ti in api.list_task_instances(settings, "steady", run_id):
            # Exactly once: no result was dropped (a dropped result re-runs its task).
            assert (ti.state, ti.try_number) == ("success", 1), (run_id, ti.task_id, ti.error)


def _outage_lines(baton: Baton) -> list[str]:
    return [line for line in baton.log_text().splitlines() if "database unavailable" in line]


@pytest.mark.parametrize("seconds", [5, 60])
def test_a_postgres_outage_mid_run_loses_nothing(
    tmp_path: Path, cut_postgres: tuple[NetCut, str, str], seconds: int
) -> None:
    proxy, through, direct = cut_postgres
    baton = _baton(tmp_path, through)
    reader = baton.settings.__class__.from_env({**baton.env, "BATON_DATABASE_URL": direct})
    try:
        baton.start()
        baton.wait_for_dag("steady")
        runs = _trigger(baton, 8, reader)
        baton.wait_until(
            "the runs to be under way",
            lambda: api.get_run(reader, "steady", runs[0]).state == "running",
        )
        proxy.cut()
        time.sleep(seconds)
        assert baton.process is not None and baton.process.poll() is None, baton.log_text()
        proxy.restore()
        _wait_all_succeeded(baton, runs, reader)
    finally:
        proxy.restore() if proxy._listener is None else None
        baton.stop()
    lines = _outage_lines(baton)
    assert lines, baton.log_text()[-3000:]
    assert len(lines) <= seconds + 3, f"{len(lines)} outage lines in {seconds} s"
    assert "database reachable again" in baton.log_text()
    assert "Traceback" not in baton.log_text()


def test_postgres_backends_terminated_mid_run_reconnect(tmp_path: Path, postgres_url: str) -> None:
    baton = _baton(tmp_path, postgres_url)
    name = postgres_url.rsplit("/", 1)[1]
    try:
        baton.start()
        baton.wait_for_dag("steady")
        runs = _trigger(baton, 8)
        for _ in range(3):  # cut every connection of the database, three times over
            time.sleep(1.0)
            with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres") as conn:
                conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid()",
                    (name,),
                )
        _wait_all_succeeded(baton, runs, baton.settings)
    finally:
        baton.stop()
    assert baton.process is None


def test_a_full_disk_under_sqlite_keeps_results_until_space_returns(tmp_path: Path) -> None:
    disk = tmp_path / "small-disk"
    disk.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(disk)], check=True)
    baton = None
    try:
        baton = _baton(tmp_path, f"sqlite:///{disk / 'baton.db'}")
        baton.start()
        baton.wait_for_dag("steady")
        runs = _trigger(baton, 6)
        filler = disk / "filler"
        _fill(filler)
        baton.wait_until("the scheduler to notice the full disk", lambda: _outage_lines(baton))
        time.sleep(3)
        assert baton.process is not None and baton.process.poll() is None, baton.log_text()
        filler.unlink()
        _wait_all_succeeded(baton, runs, baton.settings)
        lines = _outage_lines(baton)
        assert any("full" in line for line in lines), lines[:3]
        assert "dropping executor event" not in baton.log_text()
    finally:
        if baton is not None:
            baton.stop()
        subprocess.run(["umount", "-l", str(disk)], check=False)


def _fill(path: Path) -> None:
    """Write zeros to ``path`` until the file system has not one byte left."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT)
    chunk = b"\0" * 65536
    try:
        while True:
            try:
                os.write(fd, chunk)
            except OSError:
                if len(chunk) == 1:
                    return
                chunk = chunk[: len(chunk) // 2]
    finally:
        os.close(fd)


def test_an_outage_longer_than_the_limit_stops_the_scheduler_with_one_line(
    tmp_path: Path, cut_postgres: tuple[NetCut, str, str]
) -> None:
    proxy, through, _direct = cut_postgres
    baton = _baton(tmp_path, through, db_outage_limit="3")
    baton.start()
    baton.wait_for_dag("steady")
    proxy.cut()
    assert baton.process is not None
    code = baton.process.wait(timeout=60)
    proxy.restore()
    assert code != 0
    text = baton.log_text()
    final = [line for line in text.splitlines() if "BATON_DB_OUTAGE_LIMIT=3" in line]
    assert len(final) == 1, text[-3000:]
    assert re.search(r"unreachable for \d+ s", final[0]), final[0]
    assert "Traceback" not in text, text[-3000:]
    baton.process = None
