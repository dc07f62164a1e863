"""``explain_run_state``: one sentence when a run's state differs from what its tasks
suggest (Airflow's leaf rule: all_done leaves, teardowns ignored); ``baton dags test``
prints it."""

from __future__ import annotations

import pytest

from scheduler.api.explain import explain_run_state, task_states_of
from scheduler.spec import DagSpec, TaskSpec
from tests.e2e.harness import Baton


def _spec(*tasks: TaskSpec) -> DagSpec:
    return DagSpec("d", "/d.py", {t.task_id: t for t in tasks})


CLEANUP = _spec(
    TaskSpec("make_data", "PythonOperator"),
    TaskSpec("show_ds", "PythonOperator", upstream=("make_data",)),
    TaskSpec("cleanup", "PythonOperator", upstream=("show_ds",), trigger_rule="all_done"),
)


def test_a_failed_task_under_an_all_done_leaf_is_explained() -> None:
    states = {"make_data": "success", "show_ds": "failed", "cleanup": "success"}
    assert explain_run_state(CLEANUP, "success", states) == (
        "The run succeeded although show_ds failed: a run's state comes from its leaf tasks "
        "(cleanup), and cleanup (trigger_rule=all_done) ended success."
    )


def test_a_consistent_run_needs_no_sentence() -> None:
    ok = {"make_data": "success", "show_ds": "success", "cleanup": "success"}
    assert explain_run_state(CLEANUP, "success", ok) is None
    failed = {"make_data": "success", "show_ds": "failed", "cleanup": "upstream_failed"}
    assert explain_run_state(CLEANUP, "failed", failed) is None
    assert explain_run_state(CLEANUP, "running", {"show_ds": "failed"}) is None


def test_a_failed_teardown_is_ignored_and_said_so() -> None:
    spec = _spec(
        TaskSpec("create", "PythonOperator", is_setup=True),
        TaskSpec("work", "PythonOperator", upstream=("create",)),
        TaskSpec(
            "delete",
            "PythonOperator",
            upstream=("create", "work"),
            is_teardown=True,
            trigger_rule="all_done_setup_success",
        ),
    )
    states = {"create": "success", "work": "success", "delete": "failed"}
    assert explain_run_state(spec, "success", states) == (
        "The run succeeded although delete failed: a teardown does not decide the run's "
        "state unless it sets on_failure_fail_dagrun=True."
    )
    # The work failed too: the leaf is work (teardowns left out), and it says so.
    states = {"create": "success", "work": "failed", "delete": "success"}
    assert explain_run_state(spec, "failed", states) is None


def test_a_teardown_that_fails_the_run_is_named() -> None:
    spec = _spec(
        TaskSpec("work", "PythonOperator"),
        TaskSpec(
            "delete",
            "PythonOperator",
            upstream=("work",),
            is_teardown=True,
            on_failure_fail_dagrun=True,
        ),
    )
    assert explain_run_state(spec, "failed", {"work": "success", "delete": "failed"}) == (
        "The run failed because teardown delete failed: it sets on_failure_fail_dagrun=True, "
        "so its failure fails the run."
    )


def test_a_failed_run_without_failed_tasks_points_at_the_event_log() -> None:
    spec = DagSpec("d", "/d.py", {"a": TaskSpec("a", "BashOperator")}, dagrun_timeout_s=60)
    sentence = explain_run_state(spec, "failed", {"a": "skipped"})
    assert sentence == (
        "The run failed though none of its tasks failed: it was marked failed, or it ran past "
        "its dagrun_timeout (60 s); its event log says which."
    )


def test_mapped_instances_count_as_failed_if_one_failed() -> None:
    pairs = [("m", "success"), ("m", "failed"), ("m", "upstream_failed"), ("n", "success")]
    assert task_states_of(pairs) == {"m": "failed", "n": "success"}


ALL_DONE_DAG = """
from datetime import datetime, timezone
from scheduler import DAG, task

with DAG("explain_me", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc)):
    @task
    def make_data():
        return 1

    @task
    def show_ds(value):
        raise ValueError(f"cannot show {value}")

    @task(trigger_rule="all_done")
    def cleanup():
        print("cleaned")

    show_ds(make_data()) >> cleanup()
"""


@pytest.mark.e2e
def test_dags_test_prints_the_sentence_and_the_error(tmp_path) -> None:
    baton = Baton(tmp_path)
    baton.write_dag("explain_me.py", ALL_DONE_DAG)
    result = baton.cli("dags", "test", "explain_me", check=False)
    assert result.returncode == 0, result.stderr  # the run succeeded: its leaf did
    assert ": success" in result.stdout
    assert (
        "The run succeeded although show_ds failed: a run's state comes from its leaf tasks "
        "(cleanup), and cleanup (trigger_rule=all_done) ended success." in result.stdout
    )
    assert "show_ds failed (try 1): ValueError: cannot show 1" in result.stderr
