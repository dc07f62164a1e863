"""dagrun_timeout, depends_on_past, wait_for_downstream and max_active_tis_* in DAG files:
validated where they are written, serialised into the DagSpec the Engine reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pendulum
import pytest

from scheduler import DAG, EmptyOperator, task
from scheduler.authoring import serialize_dag
from scheduler.errors import DagDefinitionError
from scheduler.spec import DagSpec

START = datetime(2026, 1, 1, tzinfo=UTC)


def test_dagrun_timeout_is_kept_in_seconds_and_survives_a_round_trip():
    with DAG("d", start_date=START, dagrun_timeout=timedelta(minutes=90)) as dag:
        EmptyOperator(task_id="t")
    spec = serialize_dag(dag)
    assert spec.dagrun_timeout_s == 5400
    assert DagSpec.from_dict(spec.to_dict()).dagrun_timeout_s == 5400


def test_a_pendulum_duration_is_a_timedelta_and_zero_means_no_timeout_as_in_airflow():
    assert DAG("p", start_date=START, dagrun_timeout=pendulum.duration(hours=1)).dagrun_timeout
    assert DAG("z", start_date=START, dagrun_timeout=timedelta(0)).dagrun_timeout is None


@pytest.mark.parametrize(
    ("value", "message"),
    [(60, "must be a datetime.timedelta"), (timedelta(seconds=-1), "must not be negative")],
)
def test_a_bad_dagrun_timeout_is_refused_at_the_dag_line(value, message):
    with pytest.raises(DagDefinitionError, match=message) as caught:
        DAG("d", start_date=START, dagrun_timeout=value)
    assert "test_run_settings.py:" in str(caught.value)


def test_the_task_settings_reach_the_spec_and_wait_for_downstream_implies_depends_on_past():
    with DAG("d", start_date=START) as dag:
        a = EmptyOperator(task_id="a", wait_for_downstream=True, max_active_tis_per_dag=2)
        b = EmptyOperator(task_id="b", depends_on_past=True, max_active_tis_per_dagrun=4)
        a >> b
    spec = serialize_dag(dag)
    assert (a.depends_on_past, spec.tasks["a"].depends_on_past) == (True, True)
    assert spec.tasks["a"].wait_for_downstream and spec.tasks["a"].max_active_tis_per_dag == 2
    assert spec.tasks["b"].max_active_tis_per_dagrun == 4
    back = DagSpec.from_dict(spec.to_dict())
    assert back.tasks == spec.tasks
    assert back.past_dependents == {"a": ("a",), "b": ("a", "b")}


def test_taskflow_tasks_take_them_too():
    with DAG("d", start_date=START) as dag:

        @task(depends_on_past=True, max_active_tis_per_dagrun=1)
        def each(x):
            return x

        each.expand(x=[1, 2])
    spec = serialize_dag(dag).tasks["each"]
    assert spec.depends_on_past and spec.max_active_tis_per_dagrun == 1


@pytest.mark.parametrize("name", ["max_active_tis_per_dag", "max_active_tis_per_dagrun"])
@pytest.mark.parametrize("value", [0, -1, 1.5, "2"])
def test_a_limit_must_be_a_positive_integer(name, value):
    with DAG("d", start_date=START), pytest.raises(DagDefinitionError, match=f"{name}="):
        EmptyOperator(task_id="t", **{name: value})


def test_dagrun_timeout_in_default_args_is_not_a_task_argument_and_is_ignored_as_in_airflow():
    with pytest.warns(UserWarning, match="dagrun_timeout .*DAG argument"):
        with DAG("d", start_date=START, default_args={"dagrun_timeout": timedelta(1)}) as dag:
            EmptyOperator(task_id="t")
        spec = serialize_dag(dag)
    assert spec.dagrun_timeout_s is None
