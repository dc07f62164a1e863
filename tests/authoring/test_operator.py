"""BaseOperator: arguments, default_args, rejections with locations, custom operators."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from scheduler.authoring import DAG, BaseOperator, BashOperator, EmptyOperator, TriggerRule
from scheduler.errors import DagDefinitionError, DuplicateTaskIdError, InvalidTriggerRuleError
from tests.authoring.support import line_here


class Greet(BaseOperator):
    """A custom operator as a user writes it: its own argument, then BaseOperator's."""

    template_fields = ("name",)

    def __init__(self, *, name: str, retries: int = 7, **kwargs: Any) -> None:
        super().__init__(retries=retries, **kwargs)
        self.name = name

    def execute(self, context: dict[str, Any]) -> str:
        return f"hello {self.name}"


def test_defaults_match_airflow():
    task = EmptyOperator(task_id="t")
    assert task.owner == "baton"
    assert task.retries == 0
    assert task.retry_delay == timedelta(minutes=5)
    assert task.trigger_rule is TriggerRule.ALL_SUCCESS
    assert (task.pool, task.queue, task.priority_weight) == ("default_pool", "default", 1)
    assert task.execution_timeout is None
    assert task.do_xcom_push is True


def test_numbers_of_seconds_become_timedeltas():
    task = EmptyOperator(task_id="t", retry_delay=30, execution_timeout=60.5)
    assert task.retry_delay == timedelta(seconds=30)
    assert task.execution_timeout == timedelta(seconds=60.5)


def test_default_args_fill_arguments_not_given_explicitly():
    # e-mail with both email_on_* off changes nothing in Airflow (default_args of its tutorial)
    defaults = {
        "retries": 3,
        "owner": "data",
        "email": ["airflow@example.com"],
        "email_on_failure": False,
        "email_on_retry": False,
    }
    with DAG("defaults", default_args=defaults):
        inherited = EmptyOperator(task_id="inherited")
        explicit = EmptyOperator(task_id="explicit", retries=1)
    assert (inherited.retries, inherited.owner) == (3, "data")
    assert (explicit.retries, explicit.owner) == (1, "data")


def test_default_args_reach_arguments_of_custom_operators():
    with DAG("custom", default_args={"name": "world", "retries": 2}):
        task = Greet(task_id="greet")
    assert task.name == "world"
    assert task.retries == 2  # default_args beat the subclass's own default, as in Airflow
    assert task.execute({}) == "hello world"


def test_operator_default_args_override_the_dags():
    with DAG("layers", default_args={"retries": 3, "owner": "dag"}):
        task = EmptyOperator(task_id="t", default_args={"retries": 5})
    assert (task.retries, task.owner) == (5, "dag")


def test_unknown_argument_names_the_operator_and_the_line():
    with DAG("typo"):
        line = line_here(1)
        with pytest.raises(DagDefinitionError) as info:
            BashOperator(task_id="t", bash_command="true", retires=2)
    message = str(info.value)
    assert "retires is not an Airflow argument (did you mean retries?)" in message
    assert "DAG 'typo': task 't' (BashOperator)" in message
    assert info.value.location.endswith(f"test_operator.py:{line + 1}")


def test_positional_arguments_are_rejected():
    with pytest.raises(DagDefinitionError, match="pass operator arguments by keyword"):
        EmptyOperator("t")


def test_duplicate_task_id_points_at_the_second_task():
    with DAG("orders"):
        EmptyOperator(task_id="ship")
        line = line_here(2)
        with pytest.raises(DuplicateTaskIdError) as info:
            EmptyOperator(task_id="ship")
    assert str(info.value).endswith(
        "DAG 'orders': task_id 'ship' is already used by another task in this DAG; "
        "give each task a unique task_id"
    )
    assert info.value.location.endswith(f"test_operator.py:{line}")


def test_unknown_trigger_rule_lists_the_valid_ones():
    with DAG("rules"):
        line = line_here(2)
        with pytest.raises(InvalidTriggerRuleError) as info:
            EmptyOperator(task_id="t", trigger_rule="all_sucess")
    message = str(info.value)
    assert "'all_sucess'" in message
    assert "did you mean 'all_success'?" in message
    for rule in TriggerRule.names():
        assert rule in message
    assert info.value.location.endswith(f"test_operator.py:{line}")


def test_trigger_rule_accepts_strings_and_enum_members():
    assert EmptyOperator(task_id="a", trigger_rule="all_done").trigger_rule is TriggerRule.ALL_DONE
    b = EmptyOperator(task_id="b", trigger_rule=TriggerRule.ONE_FAILED)
    assert b.trigger_rule is TriggerRule.ONE_FAILED


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"task_id": "bad id"}, "task_id 'bad id' contains ' '"),
        ({"task_id": "t", "retries": -1}, "retries=-1 must be an integer >= 0"),
        ({"task_id": "t", "retry_delay": "5m"}, "retry_delay='5m' must be a datetime.timedelta"),
        ({"task_id": "t", "on_failure_callback": "notify"}, "on_failure_callback='notify'"),
        ({"task_id": "t", "priority_weight": "high"}, "priority_weight='high' must be an int"),
        ({"task_id": "t", "compensate": 42}, "compensate=42 must be a callable"),
    ],
)
def test_invalid_arguments_are_rejected(kwargs, match):
    with pytest.raises(DagDefinitionError, match=match):
        EmptyOperator(**kwargs)


def test_a_task_outside_any_dag_fails_when_its_dag_is_needed():
    line = line_here()
    task = EmptyOperator(task_id="lonely")
    with pytest.raises(DagDefinitionError, match="task 'lonely' is not in any DAG") as info:
        task.dag  # noqa: B018 — the attribute access is what fails
    assert info.value.location.endswith(f"test_operator.py:{line + 1}")


def test_a_task_cannot_move_to_another_dag():
    with DAG("first"):
        task = EmptyOperator(task_id="t")
    with pytest.raises(DagDefinitionError, match="already belongs to DAG 'first'"):
        task.dag = DAG("second")


def test_template_field_without_attribute_is_a_definition_error():
    class Broken(BaseOperator):
        template_fields = ("sql",)

    with pytest.raises(DagDefinitionError, match="lists 'sql' in template_fields"):
        Broken(task_id="broken")


def test_compensating_operator_is_kept_but_not_scheduled_as_a_task():
    def refund_money(context):
        return None

    with DAG("saga") as dag:
        refund = EmptyOperator(task_id="refund")
        charge = EmptyOperator(task_id="charge", compensate=refund)
        notify = EmptyOperator(task_id="notify", compensate=refund_money)
        plain = EmptyOperator(task_id="plain")
    assert dag.task_ids == ["charge", "notify", "plain"]
    assert charge.compensate is refund
    assert (charge.has_compensation, notify.has_compensation, plain.has_compensation) == (
        True,
        True,
        False,
    )


def test_output_is_the_return_value_xcom():
    task = EmptyOperator(task_id="t")
    assert (task.output.operator, task.output.key) == (task, "return_value")


def test_base_operator_execute_must_be_implemented():
    with pytest.raises(NotImplementedError, match="must implement execute"):
        BaseOperator(task_id="abstract").execute({})
