"""Runs from schedules (catchup), triggers with conf, limits, and surviving kill -9."""

from __future__ import annotations

import itertools
import signal
from datetime import UTC, datetime, timedelta

import pytest

from tests.e2e.harness import Baton

pytestmark = pytest.mark.e2e


def test_catchup_creates_every_missed_interval_in_order(baton: Baton) -> None:
    start = (datetime.now(UTC) - timedelta(days=3)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    baton.write_dag(
        "daily.py",
        f"""
from datetime import datetime, timezone
from scheduler import DAG, BashOperator
with DAG("daily", schedule="@daily", start_date=datetime.fromisoformat("{start.isoformat()}"),
         catchup=True, max_active_runs=1) as dag:
    BashOperator(task_id="echo", bash_command="echo {{{{ ds }}}} {{{{ data_interval_end }}}}")
""",
    )
    baton.start()
    baton.wait_for_dag("daily")

    def three_successes():
        runs = baton.cli_json("runs", "list", "daily")
        return len(runs) == 3 and all(r["state"] == "success" for r in runs) and runs

    runs = sorted(
        baton.wait_until("three catch-up runs", three_successes), key=lambda r: r["logical_date"]
    )
    days = [start + timedelta(days=i) for i in range(3)]
    assert [datetime.fromisoformat(r["data_interval_start"]) for r in runs] == days
    assert [datetime.fromisoformat(r["data_interval_end"]) for r in runs] == [
        d + timedelta(days=1) for d in days
    ]
    assert [r["run_id"] for r in runs] == [f"scheduled__{d.isoformat()}" for d in days]
    log = baton.task_log("daily", runs[0]["run_id"], "echo")
    assert f"{days[0]:%Y-%m-%d} {days[1].isoformat()}" in log
    # max_active_runs=1: the runs did not overlap.
    for earlier, later in itertools.pairwise(runs):
        assert earlier["end_date"] <= later["start_date"]


def test_catchup_false_creates_only_the_latest_interval(baton: Baton) -> None:
    baton.write_dag(
        "hourly.py",
        """
from datetime import datetime, timezone
from scheduler import DAG, EmptyOperator
with DAG("hourly", schedule="@hourly", start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
         catchup=False) as dag:
    EmptyOperator(task_id="noop")
""",
    )
    baton.start()
    baton.wait_for_dag("hourly")
    runs = baton.wait_until("one run", lambda: baton.cli_json("runs", "list", "hourly"))
    now = datetime.now(UTC)
    assert len(runs) == 1
    end = datetime.fromisoformat(runs[0]["data_interval_end"])
    assert end <= now and now - end < timedelta(hours=1)


def test_paused_dags_are_not_scheduled_until_unpaused(baton: Baton) -> None:
    baton.env["BATON_DAGS_ARE_PAUSED_AT_CREATION"] = "true"
    baton.write_dag(
        "paused.py",
        """
from datetime import datetime, timezone
from scheduler import DAG, EmptyOperator
with DAG("paused", schedule="@hourly", start_date=datetime(2026, 1, 1, tzinfo=timezone.utc)) as dag:
    EmptyOperator(task_id="noop")
""",
    )
    baton.start()
    baton.wait_for_dag("paused")
    assert baton.cli_json("dags", "list")[0]["paused"] is True
    run_id = baton.trigger("paused")
    baton.wait_until("the manual run to be seen", lambda: baton.cli_json("runs", "list"))
    assert baton.cli_json("runs", "list", "paused")[0]["state"] == "queued"
    baton.cli("dags", "unpause", "paused")
    assert baton.wait_for_run("paused", run_id) == "success"


def test_trigger_conf_overrides_params_and_reaches_templates(baton: Baton) -> None:
    baton.write_dag(
        "greet.py",
        """
from datetime import datetime, timezone
from scheduler import DAG, BashOperator
with DAG("greet", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
         params={"name": "world", "times": 1}) as dag:
    BashOperator(task_id="hello",
                 bash_command="echo hello {{ params.name }} x{{ params.times }} {{ run_id }}")
""",
    )
    baton.start()
    baton.wait_for_dag("greet")
    run_id = baton.trigger("greet", {"name": "baton"})
    assert baton.wait_for_run("greet", run_id) == "success"
    assert f"hello baton x1 {run_id}" in baton.task_log("greet", run_id, "hello")


def test_kill_9_mid_run_then_restart_completes_the_run(baton: Baton) -> None:
    marker = baton.root / "markers"
    marker.mkdir()
    baton.write_dag(
        "long.py",
        f"""
import time, pathlib
from datetime import datetime, timedelta, timezone
from scheduler import DAG, PythonOperator, chain
def step(task=None, ti=None):
    pathlib.Path("{marker}", f"{{task.task_id}}.{{ti.try_number}}").touch()
    # s2 waits for the test to open its gate, so the kill lands inside it however slow
    # the machine is.
    while task.task_id == "s2" and not pathlib.Path("{marker}", "go").exists():
        time.sleep(0.05)
    time.sleep(0.3)
with DAG("long", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
         default_args={{"retries": 1, "retry_delay": timedelta(seconds=0)}}) as dag:
    chain(*[PythonOperator(task_id=f"s{{i}}", python_callable=step) for i in range(6)])
""",
    )
    baton.start()
    baton.wait_for_dag("long")
    run_id = baton.trigger("long")
    baton.wait_until("the third step to start", lambda: (marker / "s2.1").exists())
    baton.kill(signal.SIGKILL)
    assert baton.cli_json("runs", "list", "long")[0]["state"] == "running"

    baton.start()
    (marker / "go").touch()
    assert baton.wait_for_run("long", run_id) == "success"
    states = baton.task_states("long", run_id)
    assert set(states.values()) == {"success"}
    # The interrupted step was failed ("worker lost") and retried; no step ran twice at once
    # and the finished ones did not run again.
    assert sorted(p.name for p in marker.iterdir() if p.name.startswith(("s0", "s1"))) == [
        "s0.1",
        "s1.1",
    ]
    interrupted = baton.tries("long", run_id, "s2")
    assert [t.state for t in interrupted] == ["failed", "success"]
    assert "lost" in interrupted[0].error
    # Each step ran once per try: exactly one marker per recorded try.
    tries = sum(len(baton.tries("long", run_id, f"s{i}")) for i in range(6))
    assert tries == len([p for p in marker.iterdir() if p.name != "go"])


def test_sigterm_stops_the_scheduler_cleanly(baton: Baton) -> None:
    baton.start()
    baton.wait_until("the scheduler socket", lambda: (baton.home / "scheduler.sock").exists())
    assert baton.process is not None
    baton.process.send_signal(signal.SIGTERM)
    assert baton.process.wait(timeout=30) == 0
    assert "scheduler stopped" in baton.log_text()
    assert "Traceback" not in baton.log_text()


def test_max_active_tasks_and_runs_are_respected(baton: Baton) -> None:
    baton.write_dag(
        "limited.py",
        """
import time
from datetime import datetime, timezone
from scheduler import DAG, PythonOperator
with DAG("limited", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
         max_active_tasks=1, max_active_runs=1) as dag:
    for i in range(3):
        PythonOperator(task_id=f"t{i}", python_callable=lambda: time.sleep(0.2))
""",
    )
    baton.start()
    baton.wait_for_dag("limited")
    run_ids = [baton.trigger("limited"), baton.trigger("limited")]
    for run_id in run_ids:
        assert baton.wait_for_run("limited", run_id) == "success"
    spans = sorted(
        (t.start_date, t.end_date)
        for run_id in run_ids
        for i in range(3)
        for t in baton.tries("limited", run_id, f"t{i}")
    )
    assert len(spans) == 6
    for (_, end), (start, _) in itertools.pairwise(spans):
        assert start >= end  # never two at once, across both runs
