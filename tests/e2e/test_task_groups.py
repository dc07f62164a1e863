"""Task groups through the real scheduler: ``start >> group >> end`` runs in that order."""

from __future__ import annotations

import json

import pytest

from scheduler import api
from scheduler.spec import DagSpec
from tests.e2e.harness import Baton

pytestmark = pytest.mark.e2e

GROUPED = """
from datetime import datetime, timedelta, timezone
from pathlib import Path
from scheduler import DAG, EmptyOperator, Label, TaskGroup, task, task_group

MARKS = Path(__file__).with_name("marks")

with DAG("grouped", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
         default_args={"retries": 0}) as dag:
    start = EmptyOperator(task_id="start")

    # The group's default_args give its tasks a retry (the DAG's give none).
    with TaskGroup("load", default_args={"retries": 1, "retry_delay": timedelta(0)}) as load:
        @task
        def flaky():
            MARKS.mkdir(exist_ok=True)
            first_try = not (MARKS / "flaky").exists()
            (MARKS / "flaky").touch()
            if first_try:
                raise RuntimeError("first try fails")
            return 2

        @task
        def double(value):
            return value * 2

        with TaskGroup("check"):
            verify = EmptyOperator(task_id="verify")
        double(flaky()) >> verify

    @task_group
    def report(value):
        @task
        def show(v):
            return f"value {v}"
        return show(value)

    end = EmptyOperator(task_id="end")
    start >> Label("begin") >> load >> end
    end >> report(41)
"""


def test_start_group_end_run_in_order(baton: Baton) -> None:
    baton.write_dag("grouped.py", GROUPED)
    baton.start()
    baton.wait_for_dag("grouped")
    run_id = baton.trigger("grouped")
    assert baton.wait_for_run("grouped", run_id) == "success"

    states = baton.task_states("grouped", run_id)
    assert states == {
        "start": "success",
        "load.flaky": "success",
        "load.double": "success",
        "load.check.verify": "success",
        "end": "success",
        "report.show": "success",
    }
    # The retry came from the group's default_args.
    assert len(baton.tries("grouped", run_id, "load.flaky")) == 2

    def first_start(task_id: str):
        return min(t.start_date for t in baton.tries("grouped", run_id, task_id))

    def last_end(task_id: str):
        return max(t.end_date for t in baton.tries("grouped", run_id, task_id))

    # start before the group's roots, the group's leaves before end, end before the next group.
    assert last_end("start") <= first_start("load.flaky")
    assert last_end("load.flaky") <= first_start("load.double")
    assert last_end("load.double") <= first_start("load.check.verify")
    assert last_end("load.check.verify") <= first_start("end")
    assert last_end("end") <= first_start("report.show")

    # The XCom went through the decorated group; the stored DAG keeps groups and labels.
    shown = {
        x.key: x.value for x in api.list_xcoms(baton.settings, "grouped", run_id, "report.show")
    }
    assert json.loads(shown["return_value"]) == "value 41"
    spec = DagSpec.from_dict(api.get_dag(baton.settings, "grouped").spec)
    assert list(spec.task_groups) == ["load", "load.check", "report"]
    assert spec.edge_labels == (("start", "load.flaky", "begin"),)
