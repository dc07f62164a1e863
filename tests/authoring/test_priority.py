"""weight_rule: the effective priority weight stored in TaskSpec.priority_weight, with
Airflow's three rules (administration-and-deployment/priority-weight)."""

from __future__ import annotations

import pytest

from scheduler import DAG, EmptyOperator, WeightRule
from scheduler.authoring import serialize_dag
from scheduler.errors import DagDefinitionError


def weights(rule: str | WeightRule | None, own: dict[str, int] | None = None) -> dict[str, int]:
    """a >> b >> c, a >> d, every task with ``rule`` (None: the default)."""
    own = own or {}
    extra = {} if rule is None else {"weight_rule": rule}
    with DAG("w") as dag:
        a, b, c, d = (
            EmptyOperator(task_id=t, priority_weight=own.get(t, 1), **extra) for t in "abcd"
        )
        a >> b >> c
        a >> d
    return {t: s.priority_weight for t, s in serialize_dag(dag).tasks.items()}


def test_downstream_is_the_default_and_sums_everything_below():
    assert weights(None) == {"a": 4, "b": 2, "c": 1, "d": 1}
    assert weights("downstream") == weights(None)


def test_upstream_sums_everything_above():
    assert weights("upstream") == {"a": 1, "b": 2, "c": 3, "d": 2}


def test_absolute_keeps_the_own_weight():
    assert weights(WeightRule.ABSOLUTE, {"a": 7}) == {"a": 7, "b": 1, "c": 1, "d": 1}


def test_sums_use_each_task_s_own_weight():
    own = {"a": 10, "b": 2, "c": 3, "d": 4}
    assert weights("downstream", own) == {"a": 19, "b": 5, "c": 3, "d": 4}
    assert weights("upstream", own) == {"a": 10, "b": 12, "c": 15, "d": 14}


def test_a_task_counts_each_relative_once_in_a_diamond():
    with DAG("diamond") as dag:
        a, b, c, d = (EmptyOperator(task_id=t) for t in "abcd")
        a >> [b, c] >> d
    assert serialize_dag(dag).tasks["a"].priority_weight == 4


def test_rules_apply_per_task_and_come_from_default_args():
    with DAG("mixed", default_args={"weight_rule": "upstream"}) as dag:
        a = EmptyOperator(task_id="a", weight_rule="absolute", priority_weight=3)
        b = EmptyOperator(task_id="b")
        a >> b
    spec = serialize_dag(dag)
    assert b.weight_rule == WeightRule.UPSTREAM
    assert (spec.tasks["a"].priority_weight, spec.tasks["b"].priority_weight) == (3, 4)


def test_the_sum_is_clamped_to_32_bits_like_airflow():
    with DAG("huge") as dag:
        a = EmptyOperator(task_id="a", priority_weight=2**31 - 1)
        a >> EmptyOperator(task_id="b", priority_weight=5)
    assert serialize_dag(dag).tasks["a"].priority_weight == 2**31 - 1


def test_an_unknown_weight_rule_is_named():
    with DAG("bad"), pytest.raises(DagDefinitionError, match=r"'sideways'.*downstream, upstream"):
        EmptyOperator(task_id="a", weight_rule="sideways")


def test_a_custom_priority_strategy_is_refused_clearly():
    class MyStrategy:  # Airflow 3's PriorityWeightStrategy would be a class like this
        pass

    with DAG("bad"), pytest.raises(DagDefinitionError, match="custom priority weight strategies"):
        EmptyOperator(task_id="a", weight_rule=MyStrategy())


def test_priority_weight_total_and_weight_rule_helpers_as_in_airflow():
    with DAG("total"):
        a = EmptyOperator(task_id="a", priority_weight=2)
        b = EmptyOperator(task_id="b", priority_weight=3, weight_rule="upstream")
        a >> b
    assert (a.priority_weight_total, b.priority_weight_total) == (5, 5)
    assert EmptyOperator(task_id="alone", priority_weight=4).priority_weight_total == 4
    assert WeightRule.is_valid("absolute") and not WeightRule.is_valid("sideways")
    assert WeightRule.all_weight_rules() == {"downstream", "upstream", "absolute"}
