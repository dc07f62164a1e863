"""Branches, short circuits and LatestOnlyOperator through the real scheduler.

The expected task and run states are Airflow 3's for the same DAGs.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from scheduler import api
from tests.e2e.harness import Baton

pytestmark = pytest.mark.e2e

HEADER = """
from datetime import datetime, timezone
from scheduler import (
    DAG, BranchPythonOperator, EmptyOperator, LatestOnlyOperator, ShortCircuitOperator, task,
)
START = datetime(2026, 1, 1, tzinfo=timezone.utc)
"""


def xcoms(baton: Baton, dag_id: str, run_id: str, task_id: str) -> dict[str, object]:
    rows = api.list_xcoms(baton.settings, dag_id, run_id, task_id)
    return {row.key: json.loads(row.value) for row in rows}


def run_once(baton: Baton, dag_id: str, conf: dict | None = None) -> tuple[str, dict[str, str]]:
    run_id = baton.trigger(dag_id, conf)
    state = baton.wait_for_run(dag_id, run_id)
    return state, baton.task_states(dag_id, run_id)


def test_branch_follows_one_path_and_the_join_runs(baton: Baton) -> None:
    baton.write_dag(
        "branch.py",
        HEADER
        + """
with DAG("branch", schedule=None, start_date=START) as dag:
    pick = BranchPythonOperator(
        task_id="pick", python_callable=lambda params: params["path"], params={"path": "fast"}
    )
    fast, fast_more = EmptyOperator(task_id="fast"), EmptyOperator(task_id="fast_more")
    slow, slow_more = EmptyOperator(task_id="slow"), EmptyOperator(task_id="slow_more")
    join = EmptyOperator(task_id="join", trigger_rule="none_failed_min_one_success")
    pick >> [fast, slow]
    fast >> fast_more >> join
    slow >> slow_more >> join
""",
    )
    baton.start()
    baton.wait_for_dag("branch")

    state, states = run_once(baton, "branch")
    assert state == "success"
    assert states == {
        "pick": "success",
        "fast": "success",
        "fast_more": "success",
        "slow": "skipped",
        "slow_more": "skipped",
        "join": "success",
    }
    run_id = api.list_runs(baton.settings, "branch")[0].run_id
    assert xcoms(baton, "branch", run_id, "pick") == {
        "skipmixin_key": {"followed": ["fast"]},
        "return_value": "fast",
    }

    # The other branch, chosen through the trigger conf.
    state, states = run_once(baton, "branch", {"path": "slow"})
    assert state == "success"
    assert [t for t, s in states.items() if s == "skipped"] == ["fast", "fast_more"]
    assert states["join"] == "success"


def test_a_branch_returning_a_task_group_id_follows_the_groups_roots(baton: Baton) -> None:
    baton.write_dag(
        "grouped.py",
        HEADER
        + """
from scheduler import TaskGroup
with DAG("grouped", schedule=None, start_date=START) as dag:
    pick = BranchPythonOperator(task_id="pick", python_callable=lambda: "fast")
    with TaskGroup("fast") as fast:
        EmptyOperator(task_id="first") >> EmptyOperator(task_id="second")
    slow = EmptyOperator(task_id="slow")
    join = EmptyOperator(task_id="join", trigger_rule="none_failed_min_one_success")
    pick >> [fast, slow] >> join
""",
    )
    baton.start()
    baton.wait_for_dag("grouped")
    state, states = run_once(baton, "grouped")
    assert state == "success"
    assert states == {
        "pick": "success",
        "fast.first": "success",
        "fast.second": "success",
        "slow": "skipped",
        "join": "success",
    }
    run_id = api.list_runs(baton.settings, "grouped")[0].run_id
    assert xcoms(baton, "grouped", run_id, "pick") == {
        "skipmixin_key": {"followed": ["fast.first"]},
        "return_value": "fast",
    }


def test_a_branch_returning_none_skips_everything_below_it(baton: Baton) -> None:
    baton.write_dag(
        "nowhere.py",
        HEADER
        + """
with DAG("nowhere", schedule=None, start_date=START) as dag:
    pick = BranchPythonOperator(task_id="pick", python_callable=lambda: None)
    a, b = EmptyOperator(task_id="a"), EmptyOperator(task_id="b")
    join = EmptyOperator(task_id="join", trigger_rule="none_failed_min_one_success")
    pick >> [a, b] >> join
""",
    )
    baton.start()
    baton.wait_for_dag("nowhere")
    state, states = run_once(baton, "nowhere")
    # Airflow: every leaf skipped and none failed, so the run succeeds.
    assert state == "success"
    assert states == {"pick": "success", "a": "skipped", "b": "skipped", "join": "skipped"}


def test_a_branch_choosing_a_task_that_is_not_downstream_fails_with_the_choices(
    baton: Baton,
) -> None:
    baton.write_dag(
        "typo.py",
        HEADER
        + """
with DAG("typo", schedule=None, start_date=START) as dag:
    pick = BranchPythonOperator(task_id="pick", python_callable=lambda: "fsat")
    pick >> [EmptyOperator(task_id="fast"), EmptyOperator(task_id="slow")]
""",
    )
    baton.start()
    baton.wait_for_dag("typo")
    state, states = run_once(baton, "typo")
    assert state == "failed"
    assert states["pick"] == "failed"
    assert states["fast"] == states["slow"] == "upstream_failed"
    run_id = api.list_runs(baton.settings, "typo")[0].run_id
    error = baton.tries("typo", run_id, "pick")[-1].error
    assert "'fsat', which is not a task of DAG 'typo'" in error
    assert "valid choices: 'fast', 'slow'" in error


def test_short_circuit_with_and_without_downstream_trigger_rules(baton: Baton) -> None:
    baton.write_dag(
        "circuits.py",
        HEADER
        + """
with DAG("circuits", schedule=None, start_date=START) as dag:
    # Default (ignore_downstream_trigger_rules=True): everything below is skipped.
    stop_all = ShortCircuitOperator(task_id="stop_all", python_callable=lambda: False)
    stop_all >> EmptyOperator(task_id="all_next") >> EmptyOperator(
        task_id="all_cleanup", trigger_rule="all_done"
    )
    # False: only the direct downstream task is skipped; all_done still runs after it.
    stop_next = ShortCircuitOperator(
        task_id="stop_next", python_callable=lambda: 0, ignore_downstream_trigger_rules=False
    )
    stop_next >> EmptyOperator(task_id="next_next") >> EmptyOperator(
        task_id="next_cleanup", trigger_rule="all_done"
    )
    # Truthy: the pipeline goes on and the value is the XCom.
    go = ShortCircuitOperator(task_id="go", python_callable=lambda: {"rows": 2})
    go >> EmptyOperator(task_id="go_next")
""",
    )
    baton.start()
    baton.wait_for_dag("circuits")
    state, states = run_once(baton, "circuits")
    assert state == "success"
    assert states == {
        "stop_all": "success",
        "all_next": "skipped",
        "all_cleanup": "skipped",
        "stop_next": "success",
        "next_next": "skipped",
        "next_cleanup": "success",
        "go": "success",
        "go_next": "success",
    }
    run_id = api.list_runs(baton.settings, "circuits")[0].run_id
    assert xcoms(baton, "circuits", run_id, "go") == {"return_value": {"rows": 2}}
    assert xcoms(baton, "circuits", run_id, "stop_all") == {
        "skipmixin_key": {"skipped": ["all_next", "all_cleanup"]}
    }


def test_taskflow_branch_and_short_circuit(baton: Baton) -> None:
    baton.write_dag(
        "flow.py",
        HEADER
        + """
with DAG("flow", schedule=None, start_date=START) as dag:
    @task
    def count() -> int:
        return 3

    @task.branch
    def size(n):
        return "big" if n > 2 else ["small"]

    @task.short_circuit
    def worth_it(n):
        return n > 5

    @task
    def big():
        return "big"

    n = count()
    size(n) >> [big(), EmptyOperator(task_id="small")]
    worth_it(n) >> EmptyOperator(task_id="expensive")
""",
    )
    baton.start()
    baton.wait_for_dag("flow")
    state, states = run_once(baton, "flow")
    assert state == "success"
    assert states == {
        "count": "success",
        "size": "success",
        "worth_it": "success",
        "big": "success",
        "small": "skipped",
        "expensive": "skipped",
    }
    shown = {t["task_id"]: t for t in api.get_dag(baton.settings, "flow").spec["tasks"]}
    assert shown["size"]["operator"] == "@task.branch"
    assert shown["worth_it"]["operator"] == "@task.short_circuit"


def test_latest_only_lets_only_the_latest_catch_up_run_go_on(baton: Baton) -> None:
    start = (datetime.now(UTC) - timedelta(days=3)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    baton.write_dag(
        "latest.py",
        HEADER
        + f"""
with DAG("latest", schedule="@daily", catchup=True, max_active_runs=1,
         start_date=datetime.fromisoformat("{start.isoformat()}")) as dag:
    work = EmptyOperator(task_id="work")
    latest = LatestOnlyOperator(task_id="latest")
    notify = EmptyOperator(task_id="notify")
    notify_more = EmptyOperator(task_id="notify_more")
    cleanup = EmptyOperator(task_id="cleanup", trigger_rule="all_done")
    work >> latest >> notify >> notify_more >> cleanup
""",
    )
    baton.start()
    baton.wait_for_dag("latest")

    def three_finished():
        runs = baton.cli_json("runs", "list", "latest")
        return len(runs) == 3 and all(r["state"] == "success" for r in runs) and runs

    runs = sorted(
        baton.wait_until("3 catch-up runs", three_finished), key=lambda r: r["logical_date"]
    )
    states = [baton.task_states("latest", r["run_id"]) for r in runs]
    skipped_run = {
        "work": "success",
        "latest": "success",
        "notify": "skipped",
        "notify_more": "skipped",
        "cleanup": "success",
    }
    assert states[:2] == [skipped_run, skipped_run]
    assert states[2] == dict.fromkeys(skipped_run, "success")

    # A manual run is never skipped, whatever its interval.
    state, manual = run_once(baton, "latest")
    assert state == "success"
    assert manual["notify"] == "success"


def test_the_example_dag_takes_one_path_per_day_and_notifies_once(baton: Baton) -> None:
    example = Path(__file__).parents[2] / "dags" / "example_branch_map_group.py"
    baton.write_dag(example.name, example.read_text())
    baton.start()
    baton.wait_for_dag("example_branch_map_group")

    def three_finished():
        runs = baton.cli_json("runs", "list", "example_branch_map_group")
        return len(runs) == 3 and all(r["state"] in ("success", "failed") for r in runs) and runs

    runs = baton.wait_until("3 catch-up runs", three_finished)
    runs.sort(key=lambda r: r["logical_date"])
    assert [r["state"] for r in runs] == ["success"] * 3
    for index, run in enumerate(runs):
        ds = run["logical_date"][:10]
        orders = int(ds.replace("-", "")) * 7 % 100
        states = baton.task_states("example_branch_map_group", run["run_id"])
        busy = orders >= 50
        assert states["bulk_load"] == ("success" if busy else "skipped"), ds
        assert states["row_by_row"] == ("skipped" if busy else "success"), ds
        assert states["report"] == "success"
        assert states["refund_report"] == ("success" if orders % 3 == 0 else "skipped"), ds
        assert states["notify"] == ("success" if index == 2 else "skipped"), ds


def test_day_of_week_and_datetime_branches_on_the_logical_date(baton: Baton) -> None:
    baton.write_dag(
        "calendar.py",
        HEADER
        + """
from datetime import time
from scheduler import BranchDateTimeOperator, BranchDayOfWeekOperator, WeekDay
with DAG("calendar", schedule=None, start_date=START) as dag:
    day = BranchDayOfWeekOperator(
        task_id="day", week_day={WeekDay.SATURDAY, "sunday"}, use_task_logical_date=True,
        follow_task_ids_if_true="weekend", follow_task_ids_if_false=["workday"],
    )
    day >> [EmptyOperator(task_id="weekend"), EmptyOperator(task_id="workday")]
    hours = BranchDateTimeOperator(
        task_id="hours", target_lower=time(9), target_upper=time(17),
        use_task_logical_date=True,
        follow_task_ids_if_true="office", follow_task_ids_if_false="after_hours",
    )
    hours >> [EmptyOperator(task_id="office"), EmptyOperator(task_id="after_hours")]
""",
    )
    baton.start()
    baton.wait_for_dag("calendar")

    def run_at(logical_date: str) -> dict[str, str]:
        run_id = baton.cli_json("dags", "trigger", "calendar", "--logical-date", logical_date)[
            "run_id"
        ]
        assert baton.wait_for_run("calendar", run_id) == "success"
        return baton.task_states("calendar", run_id)

    saturday_morning = run_at("2026-03-07T10:00:00+00:00")
    assert (saturday_morning["weekend"], saturday_morning["workday"]) == ("success", "skipped")
    assert (saturday_morning["office"], saturday_morning["after_hours"]) == ("success", "skipped")
    monday_night = run_at("2026-03-09T20:00:00+00:00")
    assert (monday_night["weekend"], monday_night["workday"]) == ("skipped", "success")
    assert (monday_night["office"], monday_night["after_hours"]) == ("skipped", "success")
