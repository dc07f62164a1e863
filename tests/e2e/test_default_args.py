"""default_args through the real scheduler: retries, retry_delay, execution_timeout,
trigger_rule and callbacks given only in default_args take effect in the run."""

from __future__ import annotations

import pytest

from tests.e2e.harness import Baton

pytestmark = pytest.mark.e2e

DAG_FILE = """
import os, time
from datetime import datetime, timedelta, timezone
from scheduler import DAG, PythonOperator

LOG = os.path.join(os.environ["BATON_HOME"], "callbacks.log")

def note(kind):
    def callback(context):
        with open(LOG, "a") as handle:
            handle.write(f"{kind} {context['ti'].task_id}\\n")
    return callback

def flaky(ti=None):
    if ti.try_number < 2:
        raise RuntimeError("first try fails")

default_args = {
    "retries": 1,
    "retry_delay": timedelta(seconds=0.3),
    "execution_timeout": timedelta(seconds=2),
    "trigger_rule": "all_done",
    "on_retry_callback": note("retry"),
    "on_failure_callback": note("failure"),
    "on_success_callback": note("success"),
}

with DAG("defaults", schedule=None, default_args=default_args,
         start_date=datetime(2026, 1, 1, tzinfo=timezone.utc)):
    first = PythonOperator(task_id="flaky", python_callable=flaky)
    hang = PythonOperator(task_id="hang", python_callable=lambda: time.sleep(60))
    after = PythonOperator(task_id="after", python_callable=lambda: "ran")
    [first, hang] >> after
"""


def test_operator_arguments_from_default_args_apply_in_a_run(baton: Baton) -> None:
    baton.write_dag("defaults.py", DAG_FILE)
    baton.start()
    baton.wait_for_dag("defaults")
    run_id = baton.trigger("defaults")
    # "after" is the only leaf and runs despite "hang" failing (trigger_rule all_done),
    # so the run succeeds, as it would in Airflow.
    assert baton.wait_for_run("defaults", run_id, timeout=90) == "success"
    assert baton.task_states("defaults", run_id) == {
        "flaky": "success",
        "hang": "failed",
        "after": "success",
    }
    flaky = baton.tries("defaults", run_id, "flaky")
    assert [t.state for t in flaky] == ["failed", "success"]
    assert (flaky[1].start_date - flaky[0].end_date).total_seconds() >= 0.3  # retry_delay
    hang_tries = baton.tries("defaults", run_id, "hang")
    assert len(hang_tries) == 2  # retried once
    assert all(t.duration is not None and t.duration < 30 for t in hang_tries)  # timed out
    assert "execution_timeout" in baton.task_instance("defaults", run_id, "hang").error
    calls = sorted((baton.home / "callbacks.log").read_text().splitlines())
    assert calls == [
        "failure hang",
        "retry flaky",
        "retry hang",
        "success after",
        "success flaky",
    ]
