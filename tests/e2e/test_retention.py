"""Retention beside the real scheduler: ``baton db clean`` while it keeps completing runs,
and the daily pass of ``BATON_RETENTION_DAYS`` (scheduler/engine/retention.py)."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bench.retention_bench import build_history
from scheduler.store.db import make_engine
from scheduler.store.models import dag_run_table, event_table, task_instance_table
from tests.e2e.harness import FINISHED, Baton

pytestmark = pytest.mark.e2e

DAGS = """
import os, time
from datetime import datetime, timezone
from scheduler import DAG, PythonOperator

RELEASE = os.path.join(os.environ["BATON_HOME"], "release")

def wait_for_release():
    deadline = time.monotonic() + 120
    while not os.path.exists(RELEASE) and time.monotonic() < deadline:
        time.sleep(0.1)

START = datetime(2026, 1, 1, tzinfo=timezone.utc)

with DAG("busy", schedule=None, start_date=START):
    a = PythonOperator(task_id="a", python_callable=lambda: 1)
    b = PythonOperator(task_id="b", python_callable=lambda: 2)
    a >> b

with DAG("slow", schedule=None, start_date=START):
    PythonOperator(task_id="wait", python_callable=wait_for_release)
"""


def _runs(baton: Baton) -> dict[str, str]:
    engine = make_engine(baton.settings.database_url, write=False)
    try:
        with engine.connect() as c:
            query = select(dag_run_table.c.run_id, dag_run_table.c.state)
            return dict(c.execute(query).all())
    finally:
        engine.dispose()


def _count(baton: Baton, query) -> int:  # type: ignore[no-untyped-def]
    engine = make_engine(baton.settings.database_url, write=False)
    try:
        with engine.connect() as c:
            return c.execute(query).scalar_one()
    finally:
        engine.dispose()


class Triggerer(threading.Thread):
    """Keeps triggering the ``busy`` DAG through the CLI, as users and timetables would."""

    def __init__(self, baton: Baton) -> None:
        super().__init__(daemon=True)
        self.baton, self.stop, self.run_ids = baton, threading.Event(), []

    def run(self) -> None:
        while not self.stop.is_set():
            self.run_ids.append(self.baton.trigger("busy"))
            time.sleep(0.2)


def test_db_clean_beside_a_running_scheduler_that_keeps_completing_runs(baton: Baton) -> None:
    now = datetime.now(UTC)
    old = build_history(
        make_engine(baton.settings.database_url),
        baton.settings.logs_folder,
        runs=300,
        tasks=20,
        ended=now - timedelta(days=30),
    )
    baton.write_dag("dags.py", DAGS)
    baton.start()
    baton.wait_for_dag("busy", timeout=180)
    baton.wait_for_dag("slow", timeout=180)
    slow = baton.trigger("slow")
    baton.wait_until("the slow run to run", lambda: _runs(baton)[slow] == "running", 120)
    triggerer = Triggerer(baton)
    triggerer.start()
    # generous: each trigger is a CLI process, slow on a loaded machine
    baton.wait_until(
        "busy runs to finish", lambda: len(_finished(baton, triggerer)) >= 2, timeout=240
    )

    done_before = len(_finished(baton, triggerer))
    cutoff = (now - timedelta(days=1)).isoformat()
    result = baton.cli(
        "db",
        "clean",
        "--clean-before-timestamp",
        cutoff,
        "--batch-size",
        "100",
        "--yes",
        "-o",
        "json",
    )
    report = json.loads(result.stdout)
    done_during = len(_finished(baton, triggerer)) - done_before

    assert report["rows"]["dag_run"] == 300 and report["rows"]["task_instance"] == 6000
    assert report["log_files"] == 6000 and report["batches"] >= 60
    assert report["longest_transaction_ms"] < 1000
    assert done_during >= 1, "the scheduler completed no run while db clean ran"
    runs = _runs(baton)
    assert not {r for _d, r in old} & set(runs)
    assert slow in runs and all(r in runs for r in triggerer.run_ids)

    # Everything finished before the future goes; what is still active is never touched.
    triggerer.stop.set()
    triggerer.join()
    finished = {r for r, state in _runs(baton).items() if state in FINISHED}
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    baton.cli("db", "clean", "--clean-before-timestamp", future, "--skip-archive", "--yes")
    runs = _runs(baton)
    assert finished and not finished & set(runs)
    assert runs[slow] == "running"
    (baton.home / "release").touch()
    assert baton.wait_for_run("slow", slow, timeout=180) == "success"
    for run_id in set(triggerer.run_ids) & set(runs):
        assert baton.wait_for_run("busy", run_id) == "success"
    log = baton.log_text()
    assert "Traceback" not in log and " ERROR " not in log, log[-3000:]


def _finished(baton: Baton, triggerer: Triggerer) -> list[str]:
    runs = _runs(baton)
    return [r for r in list(triggerer.run_ids) if runs.get(r) in FINISHED]


def test_the_scheduler_cleans_history_older_than_baton_retention_days(tmp_path) -> None:
    baton = Baton(tmp_path, retention_days="7")
    try:
        engine = make_engine(baton.settings.database_url)
        now = datetime.now(UTC)
        logs = baton.settings.logs_folder
        old = build_history(engine, logs, runs=50, tasks=10, ended=now - timedelta(days=8))
        kept = build_history(
            engine, logs, runs=5, tasks=10, ended=now - timedelta(days=6), prefix="new"
        )
        engine.dispose()
        baton.start()
        baton.wait_until(
            "the daily retention pass",
            lambda: _count(
                baton,
                select(func.count())
                .select_from(event_table)
                .where(event_table.c.event == "retention"),
            ),
            timeout=180,
        )
        assert set(_runs(baton)) == {r for _d, r in kept}
        ti_count = select(func.count()).select_from(task_instance_table)
        assert _count(baton, ti_count) == 50
        assert len(list(logs.rglob("*.log"))) == 50
        assert not {r for _d, r in old} & set(_runs(baton))
    finally:
        baton.stop()


def test_db_clean_cli_dry_run_confirmation_and_bad_input(baton: Baton) -> None:
    engine = make_engine(baton.settings.database_url)
    build_history(
        engine, baton.settings.logs_folder, runs=3, tasks=2, ended=datetime(2026, 1, 1, tzinfo=UTC)
    )
    engine.dispose()
    dry = baton.cli("db", "clean", "--clean-before-timestamp", "2026-02-01", "--dry-run")
    assert "dag_run: would remove 3 rows" in dry.stdout
    assert "task_instance: would remove 6 rows" in dry.stdout
    assert len(_runs(baton)) == 3
    # without --yes it asks, as Airflow does; answering no changes nothing
    refused = baton.cli("db", "clean", "--clean-before-timestamp", "2026-02-01", check=False)
    assert refused.returncode != 0 and "This is irreversible" in refused.stdout
    assert len(_runs(baton)) == 3
    bad = baton.cli("db", "clean", "--clean-before-timestamp", "last week", check=False)
    assert bad.returncode != 0 and "is not an ISO 8601 timestamp" in bad.stderr
    unknown = baton.cli(
        "db", "clean", "--clean-before-timestamp", "2026-02-01", "-t", "runs", check=False
    )
    assert unknown.returncode != 0 and "choose among dag_run" in unknown.stderr
    done = baton.cli("db", "clean", "--clean-before-timestamp", "2026-02-01", "--yes")
    assert "dag_run: removed 3 rows" in done.stdout and "_baton_deleted__dag_run__" in done.stdout
    assert _runs(baton) == {}
    dropped = baton.cli("db", "drop-archived", "--yes")
    assert dropped.stdout.count("dropped _baton_deleted__") >= 5
