"""Cross-DAG dependencies through the real scheduler: TriggerDagRunOperator,
ExternalTaskSensor and clearing through ExternalTaskMarker (Airflow's semantics)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scheduler import api
from tests.e2e.harness import Baton

pytestmark = pytest.mark.e2e

HEADER = """
from datetime import datetime, timedelta, timezone
from scheduler import DAG, PythonOperator, TriggerDagRunOperator, ExternalTaskSensor
from scheduler import ExternalTaskMarker
START = datetime(2026, 1, 1, tzinfo=timezone.utc)
"""

TARGETS = (
    HEADER
    + """
def record(**context):
    return {"conf": context["dag_run"].conf, "run_type": context["dag_run"].run_type}

def explode():
    raise RuntimeError("the triggered run fails")

with DAG("target_ok", schedule=None, start_date=START):
    PythonOperator(task_id="record", python_callable=record)

with DAG("target_bad", schedule=None, start_date=START):
    PythonOperator(task_id="explode", python_callable=explode)
"""
)


@pytest.fixture
def baton(tmp_path: Path) -> Iterator[Baton]:
    # A waiting TriggerDagRunOperator or sensor holds a slot: leave room for what it waits on.
    instance = Baton(tmp_path, parallelism="4")
    yield instance
    instance.stop()


def test_trigger_waits_for_success_and_passes_conf(baton: Baton) -> None:
    baton.write_dag("targets.py", TARGETS)
    baton.write_dag(
        "controller.py",
        HEADER
        + """
with DAG("controller", schedule=None, start_date=START, params={"region": "eu"}):
    TriggerDagRunOperator(
        task_id="start_target",
        trigger_dag_id="target_ok",
        conf={"region": "{{ params.region }}", "parent": "{{ run_id }}"},
        wait_for_completion=True,
        poke_interval=0.2,
    )
""",
    )
    baton.start()
    baton.wait_for_dag("controller")
    baton.wait_for_dag("target_ok")
    run_id = baton.trigger("controller")
    assert baton.wait_for_run("controller", run_id) == "success"

    xcoms = {
        x.key: json.loads(x.value)
        for x in api.list_xcoms(baton.settings, "controller", run_id, "start_target")
    }
    assert xcoms["trigger_dag_id"] == "target_ok"
    triggered = api.get_run(baton.settings, "target_ok", xcoms["trigger_run_id"])
    assert triggered.state == "success"
    assert triggered.run_type == "manual"
    assert triggered.run_id.startswith("manual__")
    assert triggered.triggered_by == "operator:controller.start_target"
    assert triggered.conf == {"region": "eu", "parent": run_id}
    recorded = {
        x.key: json.loads(x.value)
        for x in api.list_xcoms(baton.settings, "target_ok", triggered.run_id, "record")
    }["return_value"]
    assert recorded == {"conf": {"region": "eu", "parent": run_id}, "run_type": "manual"}


def test_trigger_fails_without_retry_when_the_triggered_run_fails(baton: Baton) -> None:
    baton.write_dag("targets.py", TARGETS)
    baton.write_dag(
        "controller_bad.py",
        HEADER
        + """
with DAG("controller_bad", schedule=None, start_date=START):
    TriggerDagRunOperator(
        task_id="start_bad",
        trigger_dag_id="target_bad",
        trigger_run_id="fixed_run",
        wait_for_completion=True,
        poke_interval=0.2,
        retries=2,
        retry_delay=0,
    )
""",
    )
    baton.start()
    baton.wait_for_dag("controller_bad")
    baton.wait_for_dag("target_bad")
    run_id = baton.trigger("controller_bad")
    assert baton.wait_for_run("controller_bad", run_id) == "failed"
    assert api.get_run(baton.settings, "target_bad", "fixed_run").state == "failed"
    tries = baton.tries("controller_bad", run_id, "start_bad")
    assert [t.state for t in tries] == ["failed"]  # a failed_states outcome is not retried
    assert "failed_states" in (tries[0].error or "")

    # The same trigger_run_id again: the run exists, so the task fails (Airflow 3).
    second = baton.cli_json("dags", "trigger", "controller_bad", "--run-id", "again")["run_id"]
    assert baton.wait_for_run("controller_bad", second) == "failed"
    error = baton.tries("controller_bad", second, "start_bad")[-1].error or ""
    assert "already has a run 'fixed_run'" in error


SENSED = (
    HEADER
    + """
import os, time

def produce():
    if os.path.exists(os.environ["BATON_HOME"] + "/break"):
        raise RuntimeError("upstream broke")

with DAG("producer", schedule=None, start_date=START):
    PythonOperator(task_id="produce", python_callable=produce)

with DAG("consumer", schedule=None, start_date=START):
    ExternalTaskSensor(
        task_id="wait_for_produce",
        external_dag_id="producer",
        external_task_id="produce",
        failed_states=["failed"],
        poke_interval=0.2,
        timeout=60,
    )
"""
)


def _trigger_at(baton: Baton, dag_id: str, when: str) -> str:
    return baton.cli_json("dags", "trigger", dag_id, "--logical-date", when)["run_id"]


def test_sensor_succeeds_once_the_external_task_succeeded(baton: Baton) -> None:
    baton.write_dag("sensed.py", SENSED)
    baton.start()
    baton.wait_for_dag("consumer")
    when = "2026-03-01T06:00:00+00:00"
    consumer = _trigger_at(baton, "consumer", when)
    baton.wait_until(
        "the sensor to poke",
        lambda: baton.task_states("consumer", consumer)["wait_for_produce"] == "running",
    )
    # A producer run at another logical date does not satisfy the sensor.
    other = _trigger_at(baton, "producer", "2026-03-02T06:00:00+00:00")
    assert baton.wait_for_run("producer", other) == "success"
    assert api.get_run(baton.settings, "consumer", consumer).state == "running"

    producer = _trigger_at(baton, "producer", when)
    assert baton.wait_for_run("producer", producer) == "success"
    assert baton.wait_for_run("consumer", consumer) == "success"
    assert "Poking for task(s) produce of DAG producer" in baton.task_log(
        "consumer", consumer, "wait_for_produce"
    )


def test_sensor_fails_when_the_external_task_reaches_a_failed_state(baton: Baton) -> None:
    baton.write_dag("sensed.py", SENSED)
    (baton.home / "break").touch()
    baton.start()
    baton.wait_for_dag("consumer")
    when = "2026-03-05T06:00:00+00:00"
    producer = _trigger_at(baton, "producer", when)
    assert baton.wait_for_run("producer", producer) == "failed"
    consumer = _trigger_at(baton, "consumer", when)
    assert baton.wait_for_run("consumer", consumer) == "failed"
    error = baton.tries("consumer", consumer, "wait_for_produce")[-1].error or ""
    assert "reached one of ['failed']" in error


def test_clearing_through_a_marker_clears_the_external_task_and_its_downstream(
    baton: Baton,
) -> None:
    baton.write_dag(
        "marked.py",
        HEADER
        + """
with DAG("parent", schedule=None, start_date=START):
    first = PythonOperator(task_id="first", python_callable=lambda: "one")
    mark = ExternalTaskMarker(
        task_id="mark_child", external_dag_id="child", external_task_id="child_first"
    )
    first >> mark

with DAG("child", schedule=None, start_date=START):
    a = PythonOperator(task_id="child_first", python_callable=lambda: "a")
    b = PythonOperator(task_id="child_second", python_callable=lambda: "b")
    before = PythonOperator(task_id="not_downstream", python_callable=lambda: "c")
    a >> b
""",
    )
    baton.start()
    baton.wait_for_dag("parent")
    baton.wait_for_dag("child")
    when = "2026-04-01T00:00:00+00:00"
    parent = _trigger_at(baton, "parent", when)
    child = _trigger_at(baton, "child", when)
    elsewhere = _trigger_at(baton, "child", "2026-04-02T00:00:00+00:00")
    for dag_id, run_id in (("parent", parent), ("child", child), ("child", elsewhere)):
        assert baton.wait_for_run(dag_id, run_id) == "success"

    out = baton.cli("tasks", "clear", "parent", parent, "first", "--downstream").stdout
    assert "Cleared 2 task(s)" in out
    assert baton.wait_for_run("parent", parent) == "success"
    baton.wait_until(
        "the child's cleared tasks to run again",
        lambda: (
            len(baton.tries("child", child, "child_second")) == 2
            and api.get_run(baton.settings, "child", child).state == "success"
        ),
    )
    assert len(baton.tries("child", child, "child_first")) == 2
    assert len(baton.tries("child", child, "not_downstream")) == 1
    assert len(baton.tries("child", elsewhere, "child_first")) == 1  # another logical date


def _documented_example() -> str:
    """The example of docs/authoring.md's "Cross-DAG dependencies" section, as written."""
    text = (Path(__file__).parents[2] / "docs" / "authoring.md").read_text()
    section = text.split("## Cross-DAG dependencies", 1)[1]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


def test_the_documented_example_runs(baton: Baton) -> None:
    # Only the waits are shortened, so that the test takes seconds, not minutes.
    source = _documented_example().replace("poke_interval=30", "poke_interval=0.2")
    source = source.replace("poke_interval=60", "poke_interval=0.2")
    baton.write_dag("documented_cross_dag.py", source)
    baton.start()
    for dag_id in ("nightly_load", "report", "export"):
        baton.wait_for_dag(dag_id)

    def latest(dag_id: str) -> Any:
        runs = api.list_runs(baton.settings, dag_id)
        return runs[0] if runs else None

    load = baton.wait_until("the scheduled nightly_load run", lambda: latest("nightly_load"))
    report = baton.wait_until("the scheduled report run", lambda: latest("report"))
    assert load.logical_date == report.logical_date
    assert baton.wait_for_run("nightly_load", load.run_id) == "success"
    assert baton.wait_for_run("report", report.run_id) == "success"
    export = latest("export")
    assert export.run_type == "manual" and export.state == "success"
    assert export.conf == {"day": load.logical_date.strftime("%Y-%m-%d"), "source": "nightly_load"}
    assert "exporting " + export.conf["day"] in baton.task_log("export", export.run_id, "export")


def test_an_existing_run_is_skipped_or_reset_as_asked(baton: Baton) -> None:
    baton.write_dag("targets.py", TARGETS)
    baton.write_dag(
        "again.py",
        HEADER
        + """
with DAG("again", schedule=None, start_date=START):
    TriggerDagRunOperator(
        task_id="skip_it", trigger_dag_id="target_ok", trigger_run_id="{{ params.rid }}",
        skip_when_already_exists=True, params={"rid": "shared"},
        wait_for_completion=True, poke_interval=0.2,
    ) >> TriggerDagRunOperator(
        task_id="reset_it", trigger_dag_id="target_ok", trigger_run_id="shared",
        reset_dag_run=True, wait_for_completion=True, poke_interval=0.2,
        trigger_rule="all_done",
    )
""",
    )
    baton.start()
    baton.wait_for_dag("again")
    baton.wait_for_dag("target_ok")
    first = baton.trigger("again")
    assert baton.wait_for_run("again", first) == "success"
    # First run: skip_it created "shared" (and waited for it); reset_it ran it again.
    assert baton.task_states("again", first) == {"skip_it": "success", "reset_it": "success"}
    assert len(baton.tries("target_ok", "shared", "record")) == 2
    second = baton.trigger("again")
    assert baton.wait_for_run("again", second) == "success"
    assert baton.task_states("again", second) == {"skip_it": "skipped", "reset_it": "success"}
    assert len(baton.tries("target_ok", "shared", "record")) == 3
    assert api.get_run(baton.settings, "target_ok", "shared").conf == {}


# Airflow's example_external_task_marker_dag.py with its imports changed; only the sensors'
# timeout is shortened (600 s) so that the test waits seconds.
AIRFLOW_MARKER_EXAMPLE = """
import pendulum

from scheduler import DAG, EmptyOperator, ExternalTaskMarker, ExternalTaskSensor

start_date = pendulum.datetime(2021, 1, 1, tz="UTC")

with DAG(
    dag_id="example_external_task_marker_parent",
    start_date=start_date,
    catchup=False,
    schedule=None,
    tags=["example2"],
) as parent_dag:
    parent_task = ExternalTaskMarker(
        task_id="parent_task",
        external_dag_id="example_external_task_marker_child",
        external_task_id="child_task1",
    )

with DAG(
    dag_id="example_external_task_marker_child",
    start_date=start_date,
    schedule=None,
    catchup=False,
    tags=["example2"],
) as child_dag:
    child_task1 = ExternalTaskSensor(
        task_id="child_task1",
        external_dag_id=parent_dag.dag_id,
        external_task_id=parent_task.task_id,
        timeout=600,
        allowed_states=["success"],
        failed_states=["failed", "skipped"],
        mode="reschedule",
    )

    child_task2 = ExternalTaskSensor(
        task_id="child_task2",
        external_dag_id=parent_dag.dag_id,
        external_task_group_id="parent_dag_task_group_id",
        timeout=600,
        allowed_states=["success"],
        failed_states=["failed", "skipped"],
        mode="reschedule",
    )

    child_task3 = EmptyOperator(task_id="child_task3")
    child_task1 >> child_task2 >> child_task3
"""


def test_airflows_marker_example_ends_as_in_airflow_and_clears_the_child(baton: Baton) -> None:
    baton.write_dag("marker_example.py", AIRFLOW_MARKER_EXAMPLE.replace("timeout=600", "timeout=2"))
    baton.start()
    parent, child = "example_external_task_marker_parent", "example_external_task_marker_child"
    baton.wait_for_dag(parent)
    baton.wait_for_dag(child)
    when = "2026-05-01T00:00:00+00:00"
    parent_run = _trigger_at(baton, parent, when)
    assert baton.wait_for_run(parent, parent_run) == "success"
    child_run = _trigger_at(baton, child, when)
    # child_task2 waits for a task group the parent does not have: it times out (not
    # retried), as the example does in Airflow.
    assert baton.wait_for_run(child, child_run) == "failed"
    assert baton.task_states(child, child_run) == {
        "child_task1": "success",
        "child_task2": "failed",
        "child_task3": "upstream_failed",
    }
    assert "timed out" in (baton.tries(child, child_run, "child_task2")[-1].error or "")

    baton.cli("tasks", "clear", parent, parent_run, "parent_task")
    baton.wait_until(
        "the child's sensors to run again",
        lambda: len(baton.tries(child, child_run, "child_task2")) == 2,
    )
    assert baton.wait_for_run(child, child_run) == "failed"
    assert len(baton.tries(child, child_run, "child_task1")) == 2


# Airflow 3's example_trigger_controller_dag.py and example_trigger_target_dag.py, with
# their imports changed.
AIRFLOW_TRIGGER_EXAMPLE = """
import pendulum

from scheduler import DAG, BashOperator, TriggerDagRunOperator, task

with DAG(
    dag_id="example_trigger_controller_dag",
    start_date=pendulum.datetime(2021, 1, 1, tz="UTC"),
    catchup=False,
    schedule="@once",
    tags=["example"],
) as dag:
    trigger = TriggerDagRunOperator(
        task_id="test_trigger_dagrun",
        trigger_dag_id="example_trigger_target_dag",
        conf={"message": "Hello World"},
    )


@task(task_id="run_this")
def run_this_func(dag_run=None):
    print(f"Remotely received value of {dag_run.conf.get('message')} for key=message")


with DAG(
    dag_id="example_trigger_target_dag",
    start_date=pendulum.datetime(2021, 1, 1, tz="UTC"),
    catchup=False,
    schedule=None,
    tags=["example"],
) as target:
    run_this = run_this_func()
    bash_task = BashOperator(
        task_id="bash_task",
        bash_command='echo "Here is the message: $message"',
        env={"message": '{{ dag_run.conf.get("message") }}'},
    )
"""


def test_airflows_trigger_example_passes_its_conf(baton: Baton) -> None:
    baton.write_dag("trigger_example.py", AIRFLOW_TRIGGER_EXAMPLE)
    baton.start()
    target = "example_trigger_target_dag"
    baton.wait_for_dag(target)
    run = baton.wait_until("the triggered run", lambda: api.list_runs(baton.settings, target))[0]
    assert baton.wait_for_run(target, run.run_id) == "success"
    assert run.conf == {"message": "Hello World"}
    assert run.triggered_by == "operator:example_trigger_controller_dag.test_trigger_dagrun"
    log = baton.task_log(target, run.run_id, "run_this")
    assert "Remotely received value of Hello World for key=message" in log
    assert "Here is the message: Hello World" in baton.task_log(target, run.run_id, "bash_task")
