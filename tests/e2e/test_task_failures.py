"""Tasks that fail in every way a task can: the scheduler survives and records why."""

from __future__ import annotations

import pytest

from tests.e2e.harness import Baton

pytestmark = pytest.mark.e2e

HEADER = """
from datetime import datetime, timedelta, timezone
from scheduler import DAG, PythonOperator, BashOperator, task
START = datetime(2026, 1, 1, tzinfo=timezone.utc)
"""


def test_retries_back_off_exponentially_and_keep_every_try(baton: Baton) -> None:
    baton.write_dag(
        "flaky.py",
        HEADER
        + """
def flaky(ti=None):
    print(f"try {ti.try_number}")
    if ti.try_number < 3:
        raise RuntimeError(f"boom on try {ti.try_number}")
    return ti.try_number

with DAG("flaky", schedule=None, start_date=START) as dag:
    PythonOperator(task_id="flaky", python_callable=flaky, retries=3,
                   retry_delay=timedelta(seconds=0.4), retry_exponential_backoff=True)
""",
    )
    baton.start()
    baton.wait_for_dag("flaky")
    run_id = baton.trigger("flaky")
    assert baton.wait_for_run("flaky", run_id) == "success"
    tries = baton.tries("flaky", run_id, "flaky")
    assert [t.state for t in tries] == ["failed", "failed", "success"]
    gap1 = (tries[1].start_date - tries[0].end_date).total_seconds()
    gap2 = (tries[2].start_date - tries[1].end_date).total_seconds()
    assert gap1 >= 0.4 and gap2 >= 0.8  # 0.4 s, then doubled (jitter only adds)
    assert "boom on try 1" in baton.task_log("flaky", run_id, "flaky", 1)
    assert "try 3" in baton.task_log("flaky", run_id, "flaky")


def test_execution_timeout_kills_the_try_and_fails_it(baton: Baton) -> None:
    baton.write_dag(
        "slow.py",
        HEADER
        + """
import time
with DAG("slow", schedule=None, start_date=START) as dag:
    PythonOperator(task_id="sleepy", python_callable=lambda: time.sleep(120),
                   execution_timeout=timedelta(seconds=1))
    BashOperator(task_id="sleepy_bash", bash_command="sleep 120",
                 execution_timeout=timedelta(seconds=1))
""",
    )
    baton.start()
    baton.wait_for_dag("slow")
    run_id = baton.trigger("slow")
    assert baton.wait_for_run("slow", run_id, timeout=60) == "failed"
    for task_id in ("sleepy", "sleepy_bash"):
        ti = baton.task_instance("slow", run_id, task_id)
        assert ti.state == "failed"
        assert "execution_timeout" in ti.error
        assert ti.duration < 30
        assert "execution_timeout" in baton.task_log("slow", run_id, task_id)


def test_segfault_abort_and_sys_exit_fail_only_their_own_try(baton: Baton) -> None:
    baton.write_dag(
        "crashy.py",
        HEADER
        + """
import ctypes, os, sys
with DAG("crashy", schedule=None, start_date=START) as dag:
    PythonOperator(task_id="segfault", python_callable=lambda: ctypes.string_at(0))
    PythonOperator(task_id="abort", python_callable=os.abort)
    PythonOperator(task_id="exit", python_callable=lambda: sys.exit(3))
    PythonOperator(task_id="hard_exit", python_callable=lambda: os._exit(4))
    @task
    def healthy():
        return "still fine"
    healthy()
""",
    )
    baton.start()
    baton.wait_for_dag("crashy")
    run_id = baton.trigger("crashy")
    assert baton.wait_for_run("crashy", run_id) == "failed"
    states = baton.task_states("crashy", run_id)
    assert states == {
        "segfault": "failed",
        "abort": "failed",
        "exit": "failed",
        "hard_exit": "failed",
        "healthy": "success",
    }
    assert "SIGSEGV" in baton.task_instance("crashy", run_id, "segfault").error
    assert "SIGABRT" in baton.task_instance("crashy", run_id, "abort").error
    assert "SystemExit" in baton.task_instance("crashy", run_id, "exit").error
    assert "exited with code 4" in baton.task_instance("crashy", run_id, "hard_exit").error
    assert "SIGSEGV" in baton.task_log("crashy", run_id, "segfault")
    # The scheduler is still alive and runs the next run.
    second = baton.trigger("crashy")
    assert baton.wait_for_run("crashy", second) == "failed"
    assert baton.task_states("crashy", second)["healthy"] == "success"


def test_skips_and_failures_propagate_by_trigger_rule(baton: Baton) -> None:
    baton.write_dag(
        "rules.py",
        HEADER
        + """
from scheduler import BatonSkipException, EmptyOperator
def skip():
    raise BatonSkipException("nothing to do today")
def fail():
    raise ValueError("bad input")
with DAG("rules", schedule=None, start_date=START) as dag:
    s = PythonOperator(task_id="skip", python_callable=skip)
    f = PythonOperator(task_id="fail", python_callable=fail)
    after_skip = EmptyOperator(task_id="after_skip")
    after_fail = EmptyOperator(task_id="after_fail")
    cleanup = EmptyOperator(task_id="cleanup", trigger_rule="all_done")
    alert = EmptyOperator(task_id="alert", trigger_rule="one_failed")
    s >> after_skip
    f >> after_fail
    [after_skip, after_fail] >> cleanup
    [s, f] >> alert
""",
    )
    baton.start()
    baton.wait_for_dag("rules")
    run_id = baton.trigger("rules")
    # Airflow's rule: the run's state is decided by its leaves, which both succeeded.
    assert baton.wait_for_run("rules", run_id) == "success"
    assert baton.task_states("rules", run_id) == {
        "skip": "skipped",
        "fail": "failed",
        "after_skip": "skipped",
        "after_fail": "upstream_failed",
        "cleanup": "success",
        "alert": "success",
    }
