"""Setup and teardown through the real scheduler: teardowns run after failed work, the run's
state ignores them unless on_failure_fail_dagrun, clearing work clears its setup and teardown
(Airflow's documented behaviour, howto/setup-and-teardown)."""

from __future__ import annotations

import pytest

from tests.e2e.harness import Baton

pytestmark = pytest.mark.e2e

RUN_STATES = """
from datetime import datetime, timezone
from scheduler import DAG, PythonOperator

START = datetime(2026, 1, 1, tzinfo=timezone.utc)

def ok():
    return "ok"

def boom():
    raise RuntimeError("boom")

def make(dag_id, work, delete, fail_dagrun=None):
    with DAG(dag_id, schedule=None, start_date=START) as dag:
        create = PythonOperator(task_id="create", python_callable=ok)
        run = PythonOperator(task_id="work", python_callable=work)
        cleanup = PythonOperator(task_id="delete", python_callable=delete)
        create >> run >> cleanup.as_teardown(setups=create, on_failure_fail_dagrun=fail_dagrun)
    return dag

work_fails = make("work_fails", boom, ok)
teardown_fails = make("teardown_fails", ok, boom)
teardown_fails_run = make("teardown_fails_run", ok, boom, fail_dagrun=True)
"""


def test_run_states_with_teardowns(baton: Baton) -> None:
    baton.write_dag("run_states.py", RUN_STATES)
    baton.start()
    dag_ids = ("work_fails", "teardown_fails", "teardown_fails_run")
    for dag_id in dag_ids:
        baton.wait_for_dag(dag_id)
    runs = {dag_id: baton.trigger(dag_id) for dag_id in dag_ids}

    # The work failed: the teardown still ran, and the run failed because of the work.
    assert baton.wait_for_run("work_fails", runs["work_fails"]) == "failed"
    assert baton.task_states("work_fails", runs["work_fails"]) == {
        "create": "success",
        "work": "failed",
        "delete": "success",
    }
    # Only the teardown failed: it does not count for the run's state.
    assert baton.wait_for_run("teardown_fails", runs["teardown_fails"]) == "success"
    assert baton.task_states("teardown_fails", runs["teardown_fails"])["delete"] == "failed"
    # Unless it was marked on_failure_fail_dagrun=True.
    assert baton.wait_for_run("teardown_fails_run", runs["teardown_fails_run"]) == "failed"
    assert baton.task_states("teardown_fails_run", runs["teardown_fails_run"]) == {
        "create": "success",
        "work": "success",
        "delete": "failed",
    }


SCOPES = """
import os
from datetime import datetime, timezone
from scheduler import DAG, AirflowSkipException, setup, task, teardown

START = datetime(2026, 1, 1, tzinfo=timezone.utc)
LOG = os.path.join(os.environ["BATON_HOME"], "calls.log")

def note(text):
    with open(LOG, "a") as handle:
        handle.write(text + "\\n")

with DAG("cluster", schedule=None, start_date=START):

    @setup
    def create_cluster():
        note("create")
        return "cluster-1"

    @task
    def run_query(cluster):
        note(f"query on {cluster}")

    @task
    def report():
        note("report")

    @teardown
    def delete_cluster(cluster):
        note(f"delete {cluster}")

    cluster = create_cluster()
    with delete_cluster(cluster).as_teardown(setups=cluster):
        run_query(cluster) >> report()

with DAG("no_resource", schedule=None, start_date=START):

    @setup
    def reserve():
        raise AirflowSkipException("nothing to reserve today")

    @task
    def use():
        note("use")

    @teardown
    def release():
        note("release")

    with release().as_teardown(setups=reserve()):
        use()
"""


def test_with_block_clear_and_skipped_setup(baton: Baton) -> None:
    baton.write_dag("scopes.py", SCOPES)
    baton.start()
    baton.wait_for_dag("cluster")
    baton.wait_for_dag("no_resource")
    run_id = baton.trigger("cluster")
    skipped_run = baton.trigger("no_resource")
    assert baton.wait_for_run("cluster", run_id) == "success"
    log = baton.home / "calls.log"
    assert log.read_text().splitlines() == [
        "create",
        "query on cluster-1",
        "report",
        "delete cluster-1",
    ]

    # A skipped setup skips the work and the teardown; nothing failed, so the run succeeds.
    assert baton.wait_for_run("no_resource", skipped_run) == "success"
    assert baton.task_states("no_resource", skipped_run) == {
        "reserve": "skipped",
        "use": "skipped",
        "release": "skipped",
    }

    # Clearing work clears its setup and teardown too: the cluster is made again, and the
    # cleared task (whose setup is not right above it) waits for that setup to succeed.
    log.write_text("")
    out = baton.cli("tasks", "clear", "cluster", run_id, "report").stdout
    assert "Cleared 3 task(s): create_cluster, delete_cluster, report" in out
    baton.wait_until(
        "the teardown to run again",
        lambda: len(baton.tries("cluster", run_id, "delete_cluster")) == 2,
    )
    assert baton.wait_for_run("cluster", run_id) == "success"
    assert log.read_text().splitlines() == ["create", "report", "delete cluster-1"]
    assert len(baton.tries("cluster", run_id, "create_cluster")) == 2
    assert len(baton.tries("cluster", run_id, "run_query")) == 1  # not cleared
