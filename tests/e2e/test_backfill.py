"""Backfills through the real scheduler and the real ``baton backfill`` CLI: a dry run
changes nothing, a backfill of 10 daily intervals runs each date once within its
max_active_runs, ``--reprocess-behavior failed`` re-runs only the failed dates (by clearing
them, no second run per date), and a cancel midway lets the running run finish and starts
nothing more."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from scheduler import api
from scheduler.api import backfills
from scheduler.store.db import transaction
from scheduler.store.models import DagRunRow
from tests.e2e.harness import Baton

pytestmark = pytest.mark.e2e

# Daily, catchup off: the scheduler's own runs are recent, the backfills reach back. Each
# try appends "start|end <date> <monotonic time>" to a ledger; a date listed in fail.txt
# fails; while slow.txt exists every try takes the seconds it holds.
DAILY = """
import os, time
from datetime import datetime, timezone
from scheduler import DAG, PythonOperator

HOME = os.environ["BATON_HOME"]

def work(ds=None):
    ledger = os.path.join(HOME, "ledger.txt")
    with open(ledger, "a") as out:
        out.write(f"start {ds} {time.monotonic()}\\n")
    slow = os.path.join(HOME, "slow.txt")
    time.sleep(float(open(slow).read()) if os.path.exists(slow) else 0.3)
    failing = os.path.join(HOME, "fail.txt")
    try:
        if os.path.exists(failing) and ds in open(failing).read().split():
            raise ValueError(f"{ds} is on the fail list")
    finally:
        with open(ledger, "a") as out:
            out.write(f"end {ds} {time.monotonic()}\\n")

with DAG("daily", schedule="@daily", catchup=False,
         start_date=datetime(2025, 1, 1, tzinfo=timezone.utc)):
    PythonOperator(task_id="work", python_callable=work)
"""


def _runs(baton: Baton, since: str) -> list[DagRunRow]:
    """The DAG's runs in the ten days from ``since``."""
    first = datetime.fromisoformat(since).replace(tzinfo=UTC)
    with transaction(api.database(baton.settings)) as session:
        query = select(DagRunRow).where(
            DagRunRow.dag_id == "daily",
            DagRunRow.logical_date >= first,
            DagRunRow.logical_date < first + timedelta(days=10),
        )
        return list(session.scalars(query.order_by(DagRunRow.logical_date)))


def _max_overlap(ledger: Path) -> int:
    """The most backfill tries (2025 dates: not the DAG's own recent scheduled run) that
    were running at the same moment, from the ledger."""
    events = []
    for line in ledger.read_text().splitlines():
        kind, ds, at = line.split()
        if not ds.startswith("2025"):
            continue
        events.append((float(at), 1 if kind == "start" else -1))
    running = peak = 0
    for _, step in sorted(events, key=lambda e: (e[0], e[1])):
        running += step
        peak = max(peak, running)
    return peak


@pytest.fixture
def daily(tmp_path: Path) -> Baton:
    instance = Baton(tmp_path, parallelism="4")
    instance.write_dag("daily.py", DAILY)
    instance.start()
    instance.wait_for_dag("daily")
    yield instance
    instance.stop()


def test_dry_run_then_run_then_reprocess_failed(daily: Baton) -> None:
    baton = daily
    args = ["backfill", "create", "--dag-id", "daily"]
    dates = ["--from-date", "2025-03-01", "--to-date", "2025-03-10"]
    planned = baton.cli_json(*args, *dates, "--dry-run")
    assert [p["logical_date"][:10] for p in planned] == [f"2025-03-{d:02}" for d in range(1, 11)]
    assert {p["action"] for p in planned} == {"create"}
    table = baton.cli(*args, *dates, "--dry-run").stdout
    assert "10 logical date(s); 10 would run. Nothing was changed." in table
    assert backfills.list_backfills(baton.settings) == [] and _runs(baton, "2025-03-01") == []

    (baton.home / "fail.txt").write_text("2025-03-03 2025-03-07")
    # Not a terminal: the progress bar still ends with the summary line.
    done = baton.cli(*args, *dates, "--max-active-runs", "2", timeout=120).stdout
    assert "Backfill 1 completed: 8 succeeded, 2 failed" in done, done
    runs = _runs(baton, "2025-03-01")
    assert len(runs) == 10 and {r.run_type for r in runs} == {"backfill"}
    assert {r.backfill_id for r in runs} == {1}
    assert runs[0].run_id == "backfill__2025-03-01T00:00:00+00:00"
    failed = {r.logical_date.date().isoformat() for r in runs if r.state == "failed"}
    assert failed == {"2025-03-03", "2025-03-07"}
    # max_active_runs=2 was held, and used: two tries overlapped, never three.
    assert _max_overlap(baton.home / "ledger.txt") == 2
    # The data interval is the schedule's, as for a scheduled run.
    assert (runs[0].data_interval_end - runs[0].data_interval_start).days == 1

    preview = baton.cli_json(*args, *dates, "--dry-run", "--reprocess-behavior", "failed")
    actions = {p["logical_date"][:10]: p["action"] for p in preview}
    assert actions["2025-03-03"] == actions["2025-03-07"] == "clear"
    assert sum(a == "already_exists" for a in actions.values()) == 8

    (baton.home / "fail.txt").unlink()
    (baton.home / "ledger.txt").unlink()
    out = baton.cli(*args, *dates, "--reprocess-behavior", "failed", "--detach").stdout
    assert "Created backfill 2 of 'daily': 10 date(s)" in out
    second = baton.wait_until(
        "backfill 2 to complete",
        lambda: (v := backfills.get_backfill(baton.settings, 2)).row.completed_at and v,
        60,
    )
    assert (second.progress.success, second.progress.skipped) == (2, 8)
    again = _runs(baton, "2025-03-01")
    assert len(again) == 10 and all(r.state == "success" for r in again)  # cleared, not doubled
    rerun = {r.logical_date.date().isoformat() for r in again if r.backfill_id == 2}
    assert rerun == {"2025-03-03", "2025-03-07"}
    ledger = (baton.home / "ledger.txt").read_text()
    assert ledger.count("start 2025") == 2  # only the failed dates ran again

    listed = baton.cli_json("backfill", "list", "--dag-id", "daily")
    assert [(b["id"], b["state"], b["done"], b["total"]) for b in listed] == [
        (2, "completed", 10, 10),
        (1, "completed", 10, 10),
    ]
    # Airflow's AlreadyRunningBackfill has no room here: both ended, a third may start.
    nothing = baton.cli(*args, "--from-date", "2025-03-01", "--to-date", "2025-03-02", "--detach")
    assert "Created backfill 3" in nothing.stdout


def test_cancel_midway_finishes_the_running_run_and_starts_no_more(daily: Baton) -> None:
    baton = daily
    # Slow tries: the CLI itself takes seconds to start on a busy machine.
    (baton.home / "slow.txt").write_text("4")
    out = baton.cli(
        "backfill", "create", "--dag-id", "daily", "--from-date", "2025-03-01",
        "--to-date", "2025-03-10", "--max-active-runs", "1", "--detach",
    ).stdout  # fmt: skip
    assert "Created backfill 1" in out

    def two_started() -> bool:
        return sum(r.state != "queued" for r in _runs(baton, "2025-03-01")) >= 2

    baton.wait_until("the second backfill run to start", two_started, 60)
    cancelled = baton.cli("backfill", "cancel", "1").stdout
    assert "Cancelled backfill 1: " in cancelled and "will not run" in cancelled, cancelled
    final = baton.wait_until(
        "the cancelled backfill to complete",
        lambda: (v := backfills.get_backfill(baton.settings, 1)).row.completed_at and v,
        60,
    )
    runs = _runs(baton, "2025-03-01")
    assert final.state == "cancelled" and final.progress.cancelled == 10 - len(runs)
    assert 2 <= len(runs) <= 5 and {r.state for r in runs} == {"success"}  # running ones finish
    assert final.progress.success == len(runs) and final.progress.remaining == 0
    again = baton.cli("backfill", "cancel", "1", check=False)
    assert again.returncode == 1 and "was cancelled already" in again.stderr
    # Nothing more starts: a manual run going through the scheduler meanwhile proves passes.
    (baton.home / "slow.txt").unlink()
    assert baton.wait_for_run("daily", baton.trigger("daily")) == "success"
    assert len(_runs(baton, "2025-03-01")) == len(runs)
    listed = baton.cli_json("backfill", "list")
    assert listed[0]["cancelled_at"] and listed[0]["state"] == "cancelled"


def test_refusals_name_the_fix(daily: Baton) -> None:
    baton = daily
    base = ["backfill", "create", "--dag-id", "daily"]
    swapped = baton.cli(*base, "--from-date", "2025-03-10", "--to-date", "2025-03-01", check=False)
    assert swapped.returncode == 1 and "is before --from-date" in swapped.stderr
    unknown = baton.cli(
        "backfill", "create", "--dag-id", "nope", "--from-date", "2025-03-01",
        "--to-date", "2025-03-02", check=False,
    )  # fmt: skip
    assert unknown.returncode == 1 and "nope" in unknown.stderr
    bad_conf = baton.cli(
        *base, "--from-date", "2025-03-01", "--to-date", "2025-03-02", "--conf", "[1]", check=False
    )
    assert bad_conf.returncode == 1 and "JSON object" in bad_conf.stderr
    api.set_paused(baton.settings, ["daily"], True)  # the first backfill waits: stays active
    baton.cli(*base, "--from-date", "2025-03-01", "--to-date", "2025-03-03", "--detach")
    second = baton.cli(*base, "--from-date", "2025-04-01", "--to-date", "2025-04-02", check=False)
    assert second.returncode == 1 and "already has an active backfill (1)" in second.stderr


def test_on_postgresql_completed_reprocessing_clears_every_date(
    tmp_path: Path, postgres_url: str
) -> None:
    """The same pass on PostgreSQL (the DAG's row locked per backfill, as for its scheduled
    runs): a backfill, then reprocess=completed clears each run again instead of doubling."""
    baton = Baton(tmp_path, database_url=postgres_url, parallelism="4")
    try:
        baton.write_dag("daily.py", DAILY)
        baton.start()
        baton.wait_for_dag("daily")
        first, last = datetime(2025, 3, 1, tzinfo=UTC), datetime(2025, 3, 5, tzinfo=UTC)
        for behavior in ("none", "completed"):
            request = backfills.make_request(
                "daily", first, last, max_active_runs=3, reprocess_behavior=behavior
            )
            created = backfills.create_backfill(baton.settings, request)
            done = baton.wait_until(
                f"the {behavior} backfill to complete",
                lambda b=created.row.id: (
                    (v := backfills.get_backfill(baton.settings, b)).row.completed_at and v
                ),
                60,
            )
            assert done.progress.success == 5
        runs = _runs(baton, "2025-03-01")
        assert len(runs) == 5 and {r.backfill_id for r in runs} == {2}
        assert all(r.state == "success" for r in runs)
        assert (baton.home / "ledger.txt").read_text().count("start 2025") == 10
        assert _max_overlap(baton.home / "ledger.txt") <= 3
    finally:
        baton.stop()
        api.database(baton.settings).dispose()
        api.read_database(baton.settings).dispose()


def test_a_run_id_taken_by_another_date_leaves_that_date_alone(daily: Baton) -> None:
    """A manual run already named like the backfill's run of 03-02 (but for another date):
    that date is left alone and the others run; the scheduler's pass does not fail."""
    baton = daily
    taken = "backfill__2025-03-02T00:00:00+00:00"
    baton.cli("dags", "trigger", "daily", "--run-id", taken, "--logical-date", "2024-01-01")
    first, last = datetime(2025, 3, 1, tzinfo=UTC), datetime(2025, 3, 3, tzinfo=UTC)
    request = backfills.make_request("daily", first, last)
    created = backfills.create_backfill(baton.settings, request)
    done = baton.wait_until(
        "the backfill to complete",
        lambda: (
            (v := backfills.get_backfill(baton.settings, created.row.id)).row.completed_at and v
        ),
        60,
    )
    assert (done.progress.success, done.progress.skipped) == (2, 1)
    assert [r.logical_date.day for r in _runs(baton, "2025-03-01")] == [1, 3]
    assert "leaving 2025-03-02 00:00:00+00:00 alone" in baton.log_text()
