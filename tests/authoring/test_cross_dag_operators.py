"""TriggerDagRunOperator, ExternalTaskSensor and ExternalTaskMarker at definition time:
Airflow's defaults and checks, and what they put in the DagSpec."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from scheduler import (
    DAG,
    DagRunState,
    ExternalTaskMarker,
    ExternalTaskSensor,
    PythonOperator,
    TaskInstanceState,
    TriggerDagRunOperator,
)
from scheduler.authoring import serialize_dag
from scheduler.authoring.operators.trigger_dagrun import _parse_logical_date
from scheduler.errors import DagDefinitionError
from scheduler.spec import CrossDagRef, DagSpec

START = datetime(2026, 1, 1, tzinfo=UTC)


def test_trigger_defaults_follow_airflow() -> None:
    with DAG("d", schedule=None, start_date=START):
        op = TriggerDagRunOperator(task_id="t", trigger_dag_id="other")
    assert op.allowed_states == ["success"]
    # Airflow's failed default, plus the end states a run that failed has after its saga.
    assert op.failed_states == ["failed", "compensated", "compensation_failed"]
    assert op.poke_interval == 60
    assert (op.wait_for_completion, op.reset_dag_run, op.skip_when_already_exists) == (
        False,
        False,
        False,
    )
    assert set(op.template_fields) == {
        "trigger_dag_id",
        "trigger_run_id",
        "logical_date",
        "conf",
        "wait_for_completion",
        "skip_when_already_exists",
    }


def test_trigger_keeps_an_explicitly_empty_failed_states() -> None:
    with DAG("d", schedule=None, start_date=START):
        op = TriggerDagRunOperator(
            task_id="t", trigger_dag_id="other", failed_states=[], allowed_states=[]
        )
    assert op.failed_states == [] and op.allowed_states == ["success"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"deferrable": True}, "deferrable=True is not supported"),
        ({"allowed_states": ["done"]}, "'done', not a DAG run state"),
        ({"failed_states": ["upstream_failed"]}, "not a DAG run state"),
        ({"conf": ["not", "a", "dict"]}, "conf must be a dict"),
        ({"logical_date": 20260101}, "logical_date must be a datetime"),
        ({"poke_interval": "soon"}, "poke_interval"),
        ({"trigger_dag_id": ""}, "trigger_dag_id must be"),
        ({"wait_for_completion_timeout": 3}, "wait_for_completion_timeout"),
    ],
)
def test_trigger_refuses_bad_arguments_with_the_location(kwargs, message) -> None:
    args = {"task_id": "t", "trigger_dag_id": "other", **kwargs}
    with DAG("d", schedule=None, start_date=START), pytest.raises(DagDefinitionError) as info:
        TriggerDagRunOperator(**args)
    assert message in str(info.value)
    assert "test_cross_dag_operators.py" in str(info.value)


def test_trigger_logical_dates_parse_like_airflow() -> None:
    assert _parse_logical_date("2026-02-03T04:05:06+01:00") == datetime(
        2026, 2, 3, 3, 5, 6, tzinfo=UTC
    )
    assert _parse_logical_date("2026-02-03") == datetime(2026, 2, 3, tzinfo=UTC)  # naive: UTC
    before = datetime.now(UTC)
    assert _parse_logical_date(None) >= before
    with pytest.raises(ValueError, match="not an ISO 8601"):
        _parse_logical_date("tomorrow")


def test_sensor_defaults_and_state_checks() -> None:
    with DAG("d", schedule=None, start_date=START):
        sensor = ExternalTaskSensor(task_id="s", external_dag_id="other", external_task_id="x")
        whole = ExternalTaskSensor(
            task_id="w", external_dag_id="other", external_task_ids=[], failed_states=["failed"]
        )
    assert sensor.external_task_ids == ["x"]
    assert (sensor.allowed_states, sensor.skipped_states, sensor.failed_states) == (
        ["success"],
        [],
        [],
    )
    assert sensor.poke_interval == 60 and sensor.mode == "poke"
    assert whole.external_task_ids is None  # [] waits for the whole run, as in Airflow


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"external_task_id": "a", "external_task_ids": ["b"]}, "not both"),
        ({"external_task_id": "a", "external_task_group_id": "g"}, "not both"),
        ({"external_task_ids": "abc"}, "must be a list"),
        (
            {"external_task_id": "a", "allowed_states": ["queued"], "failed_states": ["queued"]},
            "more than once",
        ),
        ({"external_task_id": "a", "failed_states": ["compensating_x"]}, "not a task state"),
        ({"allowed_states": ["upstream_failed"]}, "not a DAG run state"),  # run states only
        ({"execution_delta": timedelta(1), "execution_date_fn": lambda d: d}, "not both"),
        ({"deferrable": True}, "deferrable=True is not supported"),
        ({"external_dag_id": None}, "external_dag_id must be"),
    ],
)
def test_sensor_refuses_bad_arguments(kwargs, message) -> None:
    args = {"task_id": "s", "external_dag_id": "other", **kwargs}
    with DAG("d", schedule=None, start_date=START), pytest.raises(DagDefinitionError) as info:
        ExternalTaskSensor(**args)
    assert message in str(info.value)


def test_sensor_logical_dates_from_delta_and_function() -> None:
    day = datetime(2026, 5, 2, 6, tzinfo=UTC)
    context = {"logical_date": day, "ds": "2026-05-02", "params": {"back": 2}}
    with DAG("d", schedule=None, start_date=START):
        same = ExternalTaskSensor(task_id="a", external_dag_id="o")
        delta = ExternalTaskSensor(
            task_id="b", external_dag_id="o", execution_delta=timedelta(hours=6)
        )
        picky = ExternalTaskSensor(  # takes only the context keys it names
            task_id="c",
            external_dag_id="o",
            execution_date_fn=lambda dt, params: [dt - timedelta(days=d) for d in (1, 2)],
        )
        greedy = ExternalTaskSensor(
            task_id="e",
            external_dag_id="o",
            execution_date_fn=lambda dt, **kw: dt - timedelta(days=kw["params"]["back"]),
        )
        bad = ExternalTaskSensor(task_id="f", external_dag_id="o", execution_date_fn=lambda dt: 1)
    assert same.logical_dates(context) == [day]
    assert delta.logical_dates(context) == [datetime(2026, 5, 2, tzinfo=UTC)]
    assert picky.logical_dates(context) == [day - timedelta(days=1), day - timedelta(days=2)]
    assert greedy.logical_dates(context) == [day - timedelta(days=2)]
    with pytest.raises(TypeError, match="must return a datetime"):
        bad.logical_dates(context)


def test_marker_checks_and_defaults() -> None:
    with DAG("d", schedule=None, start_date=START):
        marker = ExternalTaskMarker(task_id="m", external_dag_id="o", external_task_id="x")
        fixed = ExternalTaskMarker(
            task_id="n", external_dag_id="o", external_task_id="x", logical_date=START
        )
        with pytest.raises(DagDefinitionError, match="recursion_depth"):
            ExternalTaskMarker(
                task_id="z", external_dag_id="o", external_task_id="x", recursion_depth=0
            )
        with pytest.raises(DagDefinitionError, match="logical_date must be"):
            ExternalTaskMarker(
                task_id="y", external_dag_id="o", external_task_id="x", logical_date=None
            )
    assert marker.logical_date == "{{ logical_date.isoformat() }}"
    assert marker.recursion_depth == 10
    assert fixed.logical_date == "2026-01-01T00:00:00+00:00"


def test_the_spec_records_each_link_and_survives_json() -> None:
    with DAG("links", schedule=None, start_date=START) as dag:
        TriggerDagRunOperator(task_id="t", trigger_dag_id="report")
        ExternalTaskSensor(task_id="s", external_dag_id="load", external_task_ids=["a", "b"])
        ExternalTaskMarker(
            task_id="m", external_dag_id="child", external_task_id="c", recursion_depth=3
        )
    spec = serialize_dag(dag)
    assert spec.tasks["t"].cross_dag == CrossDagRef("trigger", "report")
    assert spec.tasks["s"].cross_dag == CrossDagRef("sensor", "load", ("a", "b"))
    assert spec.tasks["m"].cross_dag == CrossDagRef(
        "marker", "child", ("c",), "{{ logical_date.isoformat() }}", 3
    )
    again = DagSpec.from_dict(json.loads(json.dumps(spec.to_dict())))
    assert again.tasks == spec.tasks
    # A spec stored before cross_dag existed still loads.
    old = spec.to_dict()
    for task in old["tasks"]:
        task.pop("cross_dag")
    assert DagSpec.from_dict(old).tasks["t"].cross_dag is None


def test_a_trigger_dag_id_from_an_xcom_records_no_target() -> None:
    with DAG("dyn", schedule=None, start_date=START) as dag:
        pick = PythonOperator(task_id="pick", python_callable=lambda: "report")
        TriggerDagRunOperator(task_id="t", trigger_dag_id=pick.output)
    spec = serialize_dag(dag)
    assert spec.tasks["t"].cross_dag == CrossDagRef("trigger", "")
    assert spec.tasks["t"].upstream == ("pick",)  # the XComArg wires the dependency


def test_airflow_state_enums_are_accepted_where_states_are_given() -> None:
    with DAG("d", schedule=None, start_date=START):
        sensor = ExternalTaskSensor(
            task_id="s",
            external_dag_id="o",
            external_task_id="t",
            allowed_states=[TaskInstanceState.SUCCESS],
            failed_states=[TaskInstanceState.FAILED, TaskInstanceState.SKIPPED],
        )
        trigger = TriggerDagRunOperator(
            task_id="t", trigger_dag_id="o", failed_states=[DagRunState.FAILED]
        )
    assert sensor.failed_states == ["failed", "skipped"]
    assert trigger.failed_states == ["failed"]
