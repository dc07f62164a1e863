"""Clearing and marking tasks from the CLI while the scheduler runs."""

from __future__ import annotations

import pytest

from tests.e2e.harness import Baton

pytestmark = pytest.mark.e2e


def test_clear_reruns_a_task_and_its_downstream_keeping_history(baton: Baton) -> None:
    baton.write_dag(
        "clearable.py",
        """
import os
from datetime import datetime, timezone
from scheduler import DAG, PythonOperator
def maybe_fail():
    if not os.path.exists(os.environ["BATON_HOME"] + "/fixed"):
        raise RuntimeError("not fixed yet")
with DAG("clearable", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc)) as dag:
    first = PythonOperator(task_id="first", python_callable=maybe_fail)
    second = PythonOperator(task_id="second", python_callable=lambda: "ok")
    first >> second
""",
    )
    baton.start()
    baton.wait_for_dag("clearable")
    run_id = baton.trigger("clearable")
    assert baton.wait_for_run("clearable", run_id) == "failed"
    assert baton.task_states("clearable", run_id) == {
        "first": "failed",
        "second": "upstream_failed",
    }

    (baton.home / "fixed").touch()
    out = baton.cli("tasks", "clear", "clearable", run_id, "first", "--downstream").stdout
    assert "Cleared 2 task(s)" in out
    baton.wait_until(
        "the run to be queued again", lambda: baton.cli_json("runs", "list")[0]["state"] != "failed"
    )
    assert baton.wait_for_run("clearable", run_id) == "success"
    assert [t.state for t in baton.tries("clearable", run_id, "first")] == ["failed", "success"]
    events = baton.cli("tasks", "list", "clearable", "--run-id", run_id).stdout
    assert "success" in events


def test_marking_a_running_task_failed_stops_it(baton: Baton) -> None:
    baton.write_dag(
        "stuck.py",
        """
import time
from datetime import datetime, timezone
from scheduler import DAG, PythonOperator
with DAG("stuck", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc)) as dag:
    PythonOperator(task_id="forever", python_callable=lambda: time.sleep(600))
""",
    )
    baton.start()
    baton.wait_for_dag("stuck")
    run_id = baton.trigger("stuck")
    baton.wait_until(
        "the task to run", lambda: baton.task_states("stuck", run_id)["forever"] == "running"
    )
    baton.cli("tasks", "mark", "stuck", run_id, "forever", "--state", "failed")
    assert baton.wait_for_run("stuck", run_id, timeout=30) == "failed"
    baton.wait_until("the worker to stop the try", lambda: "stopping stuck/" in baton.log_text())
    # The try it stopped is over in the tries table too, not "running" for ever.
    (only,) = baton.tries("stuck", run_id, "forever")
    assert only.state == "failed" and only.end_date is not None
    assert "marked failed" in only.error
