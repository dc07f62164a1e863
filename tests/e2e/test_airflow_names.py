"""Airflow's other names through the real scheduler: exceptions, context, pendulum, errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pendulum
import pytest

from scheduler import api
from tests.e2e.harness import Baton

pytestmark = pytest.mark.e2e


def test_airflow_exceptions_and_get_current_context_in_scheduled_tries(baton: Baton) -> None:
    baton.write_dag(
        "names.py",
        """
import pendulum
from scheduler import (
    DAG, AirflowFailException, AirflowSkipException, EmptyOperator, TriggerRule,
    chain_linear, get_current_context, task,
)

def run_id_of_this_try():
    return get_current_context()["run_id"]  # a helper that was not handed the context

with DAG("names", schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC")):
    @task
    def who():
        return run_id_of_this_try()

    @task
    def skips():
        raise AirflowSkipException("nothing to do")

    @task(retries=3, retry_delay=pendulum.duration(seconds=1))
    def fails():
        raise AirflowFailException("retrying cannot help")

    done = EmptyOperator(task_id="done", trigger_rule=TriggerRule.ALL_DONE)
    chain_linear(who(), [skips(), fails()], done)
""",
    )
    baton.start()
    baton.wait_for_dag("names")
    run_id = baton.trigger("names")
    # As in Airflow, the run state comes from the leaves: `done` (all_done) succeeded.
    assert baton.wait_for_run("names", run_id) == "success"
    assert baton.task_states("names", run_id) == {
        "who": "success",
        "skips": "skipped",
        "fails": "failed",
        "done": "success",
    }
    assert len(baton.tries("names", run_id, "fails")) == 1  # AirflowFailException: no retry
    assert run_id in baton.task_log("names", run_id, "who")  # the returned value is logged


def test_a_pendulum_start_date_schedules_in_its_time_zone(baton: Baton) -> None:
    # 06:00 in Paris is 05:00 UTC in winter and 04:00 UTC in summer, whatever the host's zone.
    start = (datetime.now(UTC) - timedelta(days=3)).date()
    baton.write_dag(
        "paris.py",
        f"""
import pendulum
from scheduler import DAG, EmptyOperator
with DAG("paris", schedule="0 6 * * *", catchup=True, max_active_runs=8,
         start_date=pendulum.datetime({start.year}, {start.month}, {start.day}, tz="Europe/Paris")):
    EmptyOperator(task_id="t")
""",
    )
    baton.start()
    baton.wait_for_dag("paris")

    def three_runs() -> list | None:
        runs = baton.cli_json("runs", "list", "paris")
        return runs if len(runs) >= 3 and all(r["state"] == "success" for r in runs) else None

    runs = baton.wait_until("three catch-up runs", three_runs)
    paris = ZoneInfo("Europe/Paris")
    for run in runs:
        logical = datetime.fromisoformat(run["logical_date"])
        assert (logical.astimezone(paris).hour, logical.astimezone(paris).minute) == (6, 0), run


def test_unsupported_airflow_names_and_arguments_are_import_errors_with_the_line(
    baton: Baton,
) -> None:
    baton.write_dag(
        "typo.py",
        """
from scheduler import DAG, EmptyOperator
with DAG("typo", schedule=None, dag_timeout=60):
    EmptyOperator(task_id="t")
""",
    )
    baton.write_dag(
        "lacking.py",
        """
from scheduler import DAG, BashOperator
with DAG("lacking", schedule=None):
    BashOperator(task_id="t", bash_command="true", email="ops@example.com")
""",
    )
    baton.write_dag(
        "k8s.py", "from scheduler import DAG\nfrom scheduler import KubernetesPodOperator\n"
    )
    baton.start()

    def three_errors() -> dict | None:
        result = baton.cli("dags", "errors", "-o", "json", check=False)
        rows = json.loads(result.stdout)
        errors = {r["file"].rsplit("/", 1)[-1]: r for r in rows}
        return errors if len(errors) == 3 and result.returncode == 1 else None

    errors = baton.wait_until("three import errors", three_errors)
    assert (
        "dag_timeout is not an Airflow argument (did you mean dagrun_timeout?)"
        in (errors["typo.py"]["error"])
    )
    assert errors["typo.py"]["line"] == 3
    assert (
        "(BashOperator): email is an Airflow argument Baton does not support yet"
        in (errors["lacking.py"]["error"])
    )
    assert errors["lacking.py"]["line"] == 4
    assert (
        "KubernetesPodOperator is an Airflow operator Baton does not support yet"
        in (errors["k8s.py"]["error"])
    )
    assert errors["k8s.py"]["line"] == 2


def test_a_pendulum_logical_date_triggers_through_the_library_and_the_cli(baton: Baton) -> None:
    baton.write_dag(
        "manual.py",
        """
from scheduler import DAG, EmptyOperator
with DAG("manual", schedule=None):
    EmptyOperator(task_id="t")
""",
    )
    baton.cli("dags", "sync")
    when = pendulum.datetime(2026, 3, 1, 7, tz="Europe/Paris")
    run = api.trigger_dag(baton.settings, "manual", conf={}, run_id=None, logical_date=when)
    assert run.run_id == "manual__2026-03-01T06:00:00+00:00"
    assert api.get_run(baton.settings, "manual", run.run_id).logical_date == when
    # The CLI parses what Airflow's does (pendulum), e.g. the compact ISO form.
    shown = baton.cli_json("dags", "trigger", "manual", "--logical-date", "20260302T060000")
    assert shown["run_id"] == "manual__2026-03-02T06:00:00+00:00"
