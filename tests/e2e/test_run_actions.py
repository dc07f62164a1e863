"""Run actions (the run page's clear / mark / delete) against the real scheduler: marking
a running run failed stops its try and the scheduler settles the run failed; marking it
success makes the scheduler finish it as a success; deleting refuses an active run and
removes a finished one; a cleared run runs again. The actions are ``scheduler.api``'s, as
the web UI calls them."""

from __future__ import annotations

import pytest

from scheduler import api
from scheduler.errors import BatonError
from tests.e2e.harness import Baton

pytestmark = pytest.mark.e2e

SLOW_DAG = """
import time
from datetime import UTC, datetime
from scheduler import DAG, task

with DAG(dag_id="slow", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=UTC)) as dag:
    @task
    def first():
        time.sleep(600)

    @task
    def second():
        print("second ran")

    first() >> second()
"""


def _running(baton: Baton, run_id: str) -> None:
    baton.wait_until(
        "first to run",
        lambda: baton.task_states("slow", run_id).get("first") == "running",
        timeout=60,
    )


def test_mark_failed_stops_the_try_and_the_run_fails(baton: Baton) -> None:
    baton.write_dag("slow.py", SLOW_DAG)
    baton.start()
    baton.wait_for_dag("slow")
    run_id = baton.trigger("slow")
    _running(baton, run_id)
    with pytest.raises(BatonError, match="mark it failed"):
        api.delete_run(baton.settings, "slow", run_id, source="webui:test")
    changed = api.mark_run(baton.settings, "slow", run_id, "failed", source="webui:test")
    assert sorted(changed) == ["first", "second"]
    assert baton.wait_for_run("slow", run_id, timeout=60) == "failed"
    # The try is stopped (its worker killed), not left running: its row gets its end.
    baton.wait_until(
        "the stopped try to be recorded",
        lambda: baton.tries("slow", run_id, "first")[0].end_date is not None,
        timeout=60,
    )
    assert len(baton.tries("slow", run_id, "first")) == 1
    api.delete_run(baton.settings, "slow", run_id, source="webui:test")
    assert run_id not in {r.run_id for r in api.list_runs(baton.settings, "slow")}


def test_mark_success_lets_the_scheduler_finish_the_run(baton: Baton) -> None:
    baton.write_dag("slow.py", SLOW_DAG)
    baton.start()
    baton.wait_for_dag("slow")
    run_id = baton.trigger("slow")
    _running(baton, run_id)
    api.mark_run(baton.settings, "slow", run_id, "success", source="webui:test")
    assert baton.wait_for_run("slow", run_id, timeout=60) == "success"
    assert baton.task_states("slow", run_id) == {"first": "success", "second": "success"}
    # Cleared, the run goes again: first is running once more (its second try).
    api.clear_run(baton.settings, "slow", run_id, source="webui:test")
    _running(baton, run_id)
    assert [t.try_number for t in baton.tries("slow", run_id, "first")] == [1, 2]
