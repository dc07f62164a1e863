"""Tries lost to the infrastructure are the infrastructure's fault, on the local executor
and SQLite too: a scheduler killed mid-try re-runs the try at once when it comes back,
without using up ``retries`` or waiting for ``retry_delay``; a task that kills its own
worker every time still ends failed after BATON_LOST_TRY_LIMIT re-runs, saying why. And a
second scheduler on the same SQLite file is refused, whatever its BATON_HOME."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import pytest

from scheduler import api
from tests.e2e.harness import BATON, Baton

pytestmark = pytest.mark.e2e

SLOW = """
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from scheduler import DAG, PythonOperator

def slow():
    (Path(__file__).parent / "started").touch()
    while not (Path(__file__).parent / "go").exists():  # the test opens the gate
        time.sleep(0.05)

with DAG("slow", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc)):
    PythonOperator(task_id="no_retries", python_callable=slow, retries=0)
    PythonOperator(task_id="long_delay", python_callable=slow, retries=2,
                   retry_delay=timedelta(minutes=5))
"""

SUICIDAL = """
import os, signal
from datetime import datetime, timezone
from scheduler import DAG, PythonOperator

with DAG("suicidal", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc)):
    PythonOperator(task_id="kill_my_worker", retries=5,
                   python_callable=lambda: os.kill(os.getpid(), signal.SIGKILL))
"""


def test_a_scheduler_killed_mid_try_re_runs_it_at_once_without_using_retries(
    baton: Baton,
) -> None:
    baton.write_dag("slow.py", SLOW)
    baton.start()
    baton.wait_for_dag("slow")
    run_id = baton.trigger("slow")
    baton.wait_until("both tries to start", lambda: (baton.dags / "started").exists())
    baton.wait_until(
        "both tasks to run",
        lambda: set(baton.task_states("slow", run_id).values()) == {"running"},
    )
    baton.kill(signal.SIGKILL)
    baton.start()
    (baton.dags / "go").touch()
    assert baton.wait_for_run("slow", run_id, timeout=60) == "success"
    for task_id in ("no_retries", "long_delay"):
        ti = baton.task_instance("slow", run_id, task_id)
        assert (ti.try_number, ti.retry_base, ti.lost_count) == (2, 1, 1), task_id
        first = baton.tries("slow", run_id, task_id)[0]
        assert first.state == "failed"
        assert "lost" in first.error and "retries are not used" in first.error, first.error


def test_a_task_that_kills_its_worker_every_time_fails_after_the_limit(baton: Baton) -> None:
    baton.write_dag("suicidal.py", SUICIDAL)
    baton.env["BATON_LOST_TRY_LIMIT"] = "2"
    baton.start()
    baton.wait_for_dag("suicidal")
    run_id = baton.trigger("suicidal")
    assert baton.wait_for_run("suicidal", run_id) == "failed"
    ti = baton.task_instance("suicidal", run_id, "kill_my_worker")
    # two lost re-runs, then the third loss fails it although retries=5 are left
    assert ti.try_number == 3 and ti.state == "failed"
    assert "BATON_LOST_TRY_LIMIT=2" in ti.error and "SIGKILL" in ti.error, ti.error


def test_a_second_scheduler_on_the_same_sqlite_file_is_refused(
    baton: Baton, tmp_path: Path
) -> None:
    baton.start()
    baton.wait_until(
        "the scheduler to be healthy",
        lambda: api.scheduler_health(baton.settings)["scheduler"]["status"] == "healthy",
    )
    other_home = tmp_path / "other-home"
    env = {**baton.env, "BATON_HOME": str(other_home)}  # same BATON_DATABASE_URL
    result = subprocess.run(
        [BATON, "scheduler"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    message = result.stderr.strip().splitlines()[-1]
    assert "already running on the SQLite database" in message, result.stderr
    assert "PostgreSQL" in message
    health = api.scheduler_health(baton.settings)
    assert health["scheduler"]["status"] == "healthy", health  # the live one was not touched
