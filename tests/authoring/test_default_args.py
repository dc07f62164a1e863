"""default_args: every BaseOperator argument given there takes effect; keys no task takes are
ignored as in Airflow (with a warning); Airflow arguments Baton lacks are refused as if passed
directly."""

from __future__ import annotations

import warnings
from datetime import datetime, timedelta
from typing import Any

import pytest

from scheduler import DAG, Asset, BaseOperator, EmptyOperator, PythonOperator, WeightRule
from scheduler.authoring import serialize_dag
from scheduler.authoring.default_args import init_parameter_names
from scheduler.errors import DagDefinitionError
from scheduler.spec import TaskSpec

START = datetime(2024, 1, 1)


def notify(context: dict[str, Any]) -> None:
    pass


def undo(context: dict[str, Any]) -> None:
    pass


def built(default_args: dict[str, Any]) -> tuple[BaseOperator, TaskSpec]:
    with DAG("d", start_date=START, default_args=default_args) as dag:
        task = EmptyOperator(task_id="t")
    return task, serialize_dag(dag).tasks["t"]


# argument -> (value in default_args, what shows it took effect)
TAKES_EFFECT = {
    "owner": ("team", lambda op, spec: op.owner == "team"),
    "retries": (3, lambda op, spec: spec.retries == 3),
    "retry_delay": (timedelta(seconds=7), lambda op, spec: spec.retry_delay_s == 7),
    "retry_exponential_backoff": (True, lambda op, spec: spec.retry_exponential_backoff),
    "max_retry_delay": (timedelta(minutes=1), lambda op, spec: spec.max_retry_delay_s == 60),
    "execution_timeout": (timedelta(seconds=30), lambda op, spec: spec.execution_timeout_s == 30),
    "trigger_rule": ("all_done", lambda op, spec: spec.trigger_rule == "all_done"),
    "pool": ("etl", lambda op, spec: spec.pool == "etl"),
    "pool_slots": (2, lambda op, spec: spec.pool_slots == 2),
    "priority_weight": (5, lambda op, spec: spec.priority_weight == 5),
    "weight_rule": ("absolute", lambda op, spec: op.weight_rule == WeightRule.ABSOLUTE),
    "compensate": (undo, lambda op, spec: spec.has_compensation and op.compensate is undo),
    # For every task with a compensate=; this one has none, so it has nothing to undo.
    "compensate_on_failure": (True, lambda op, spec: spec.compensate_on_failure),
    "on_execute_callback": (notify, lambda op, spec: op.on_execute_callback is notify),
    "on_success_callback": (notify, lambda op, spec: op.on_success_callback is notify),
    "on_failure_callback": ([notify], lambda op, spec: op.on_failure_callback == [notify]),
    "on_retry_callback": (notify, lambda op, spec: op.on_retry_callback is notify),
    "on_skipped_callback": (notify, lambda op, spec: op.on_skipped_callback is notify),
    "on_compensation_failure_callback": (
        notify,
        lambda op, spec: op.on_compensation_failure_callback is notify,
    ),
    "on_longer_than_usual_callback": (
        notify,
        lambda op, spec: (
            op.on_longer_than_usual_callback is notify
            and serialize_dag(op.dag).long_try_callbacks == ("t",)
        ),
    ),
    "do_xcom_push": (False, lambda op, spec: op.do_xcom_push is False),
    "params": ({"limit": 3}, lambda op, spec: op.params["limit"] == 3),
    "doc_md": ("# docs", lambda op, spec: spec.doc_md == "# docs"),
    "outlets": ([Asset("s3://d/out")], lambda op, spec: spec.outlets[0]["uri"] == "s3://d/out"),
    "inlets": ([Asset("s3://d/in")], lambda op, spec: spec.inlets[0]["uri"] == "s3://d/in"),
    "depends_on_past": (True, lambda op, spec: spec.depends_on_past),
    # wait_for_downstream implies depends_on_past (Airflow).
    "wait_for_downstream": (
        True,
        lambda op, spec: spec.wait_for_downstream and spec.depends_on_past,
    ),
    "max_active_tis_per_dag": (2, lambda op, spec: spec.max_active_tis_per_dag == 2),
    "max_active_tis_per_dagrun": (3, lambda op, spec: spec.max_active_tis_per_dagrun == 3),
}
# Not meaningful in default_args: the id names one task; the group is where it is created.
# queue: a queue other than "default" is refused wherever it comes from (test_pools.py).
NOT_A_DEFAULT = {"task_id", "task_group", "queue"}


@pytest.mark.parametrize("name", sorted(TAKES_EFFECT))
def test_each_operator_argument_in_default_args_takes_effect(name):
    value, took_effect = TAKES_EFFECT[name]
    operator, spec = built({name: value})
    assert took_effect(operator, spec), name


def test_the_table_covers_every_baseoperator_argument():
    # A new BaseOperator argument needs a row above: default_args must reach it too.
    assert set(TAKES_EFFECT) == init_parameter_names(BaseOperator) - NOT_A_DEFAULT


def test_the_weight_together_with_its_rule():
    _, spec = built({"priority_weight": 4, "weight_rule": "downstream"})
    assert spec.priority_weight == 4  # a single task: nothing below it


def test_an_explicit_argument_beats_default_args():
    with DAG("d", start_date=START, default_args={"retries": 4, "trigger_rule": "all_done"}):
        task = EmptyOperator(task_id="t", retries=1)
    assert (task.retries, task.trigger_rule) == (1, "all_done")


def test_subclass_arguments_come_from_default_args_too():
    with DAG("d", start_date=START, default_args={"op_kwargs": {"x": 1}}):
        task = PythonOperator(task_id="t", python_callable=lambda x: x)
    assert task.op_kwargs == {"x": 1}


def test_start_date_in_default_args_is_the_dag_s():
    with DAG("d", default_args={"start_date": START, "retries": 1}) as dag:
        task = EmptyOperator(task_id="t")
    assert dag.start_date is not None and task.retries == 1


def test_invalid_values_from_default_args_fail_at_the_operator():
    defaults = {"trigger_rule": "all_sucess"}
    with (
        DAG("d", start_date=START, default_args=defaults),
        pytest.raises(DagDefinitionError, match="did you mean 'all_success'"),
    ):
        EmptyOperator(task_id="t")


def test_an_airflow_argument_baton_lacks_is_refused_not_ignored():
    with (
        DAG("d", start_date=START, default_args={"run_as_user": "bob"}),
        pytest.raises(DagDefinitionError, match="run_as_user is an Airflow argument"),
    ):
        EmptyOperator(task_id="t")


def test_an_airflow_argument_with_a_value_that_changes_nothing_is_accepted():
    with DAG("d", start_date=START, default_args={"depends_on_past": False, "email": None}):
        EmptyOperator(task_id="t")


def test_airflow_s_tutorial_default_args_load():
    # An address with both email_on_* off sends nothing in Airflow.
    tutorial = {
        "depends_on_past": False,
        "email": ["airflow@example.com"],
        "email_on_failure": False,
        "email_on_retry": False,
        "retries": 1,
        "retry_delay": timedelta(minutes=5),
    }
    with DAG("tutorial", start_date=START, default_args=tutorial) as dag:
        task = EmptyOperator(task_id="t")
    assert serialize_dag(dag).tasks["t"].retry_delay_s == 300 and task.retries == 1


def test_an_address_that_would_get_mail_is_refused():
    with (
        DAG("d", start_date=START, default_args={"email": ["ops@example.com"]}),
        pytest.raises(DagDefinitionError, match="email is an Airflow argument"),
    ):
        EmptyOperator(task_id="t")


def test_unknown_keys_are_ignored_as_in_airflow_with_a_warning():
    with DAG("d", start_date=START, default_args={"retires": 2, "bash_command": "x"}) as dag:
        task = EmptyOperator(task_id="t")
    with pytest.warns(UserWarning, match=r"default_args retires \(did you mean retries\?\)"):
        serialize_dag(dag)
    assert task.retries == 0


def test_no_warning_for_keys_some_task_of_the_dag_takes():
    with DAG("d", start_date=START, default_args={"op_kwargs": {}, "retries": 1}) as dag:
        EmptyOperator(task_id="t")
        PythonOperator(task_id="p", python_callable=print)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        serialize_dag(dag)
