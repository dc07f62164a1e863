"""Branching and short circuits: what a branch may return and which tasks it skips.

Expected values follow Airflow 3's SkipMixin / BranchMixIn / ShortCircuitOperator.
"""

from __future__ import annotations

from typing import Any

import pytest

from scheduler import (
    DAG,
    BaseBranchOperator,
    BranchPythonOperator,
    EmptyOperator,
    ShortCircuitOperator,
    TaskGroup,
    task,
)
from scheduler.authoring.operators.short_circuit import short_circuit_skips
from scheduler.authoring.skipmixin import (
    XCOM_SKIPMIXIN_KEY,
    branch_ids,
    decide_branch,
    expand_task_groups,
)
from scheduler.errors import BranchError, DownstreamTasksSkipped


class FakeTI:
    """The part of ``context["ti"]`` a branch uses: its task, map_index and xcom_push."""

    map_index = -1

    def __init__(self, task: Any) -> None:
        self.task = task
        self.pushed: dict[str, Any] = {}

    def xcom_push(self, key: str, value: Any) -> None:
        self.pushed[key] = value


def run(task: Any) -> tuple[Any, FakeTI, tuple[str, ...] | None]:
    """Execute ``task`` as the runner would: its result, its XComs, the tasks it skips."""
    ti = FakeTI(task)
    context = {"ti": ti, "task": task, "ds": "2026-01-05"}
    try:
        return task.execute(context), ti, None
    except DownstreamTasksSkipped as exc:
        return None, ti, exc.tasks


def two_branches(choice: Any) -> tuple[DAG, BranchPythonOperator]:
    """branch >> [a >> a2, b >> b2] >> join"""
    with DAG("two") as dag:
        branch = BranchPythonOperator(task_id="branch", python_callable=lambda: choice)
        a, a2, b, b2 = (EmptyOperator(task_id=t) for t in ("a", "a2", "b", "b2"))
        join = EmptyOperator(task_id="join", trigger_rule="none_failed_min_one_success")
        branch >> [a, b]
        a >> a2 >> join
        b >> b2 >> join
    return dag, branch


# -- what a branch may return -------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "ids"),
    [
        ("a", ["a"]),
        (["a", "b", "a"], ["a", "b"]),
        (("b",), ["b"]),
        ({"a"}, ["a"]),
        ((x for x in ["a"]), ["a"]),
        (None, []),
        ([], []),
    ],
)
def test_branch_ids_accept_a_task_id_an_iterable_of_them_or_none(value, ids):
    assert branch_ids(value, "branch") == ids


@pytest.mark.parametrize("value", [3, ["a", 3], {"a": 1}, True])
def test_branch_ids_refuse_anything_else_naming_the_value(value):
    with pytest.raises(BranchError, match="branch task 'branch' returned"):
        branch_ids(value, "branch")


# -- which tasks a branch skips -----------------------------------------------------------


def test_the_branch_not_chosen_is_skipped_directly():
    _, branch = two_branches("a")
    decision = decide_branch(branch, ["a"])
    assert decision.followed == ["a"]
    assert decision.skipped == ["b"]


def test_choosing_nothing_skips_every_direct_downstream_task():
    _, branch = two_branches(None)
    assert decide_branch(branch, []).skipped == ["a", "b"]


def test_a_join_downstream_of_the_followed_branch_is_not_skipped():
    # Airflow's special case: branch >> [a, join], a >> join; following a keeps join.
    with DAG("join") as dag:
        branch = EmptyOperator(task_id="branch")
        a = EmptyOperator(task_id="a")
        join = EmptyOperator(task_id="join")
        branch >> [a, join]
        a >> join
    assert dag.task_dict
    decision = decide_branch(branch, ["a"])
    assert decision.followed == ["a", "join"]
    assert decision.skipped == []


def test_an_unknown_task_id_is_an_error_naming_the_valid_choices():
    _, branch = two_branches("nope")
    with pytest.raises(BranchError) as info:
        decide_branch(branch, ["nope"])
    message = str(info.value)
    assert "'nope', which is not a task of DAG 'two'" in message
    assert "valid choices: 'a', 'b', or None" in message


def test_a_task_that_is_not_directly_downstream_is_an_error():
    _, branch = two_branches("a2")
    with pytest.raises(BranchError, match="'a2', which is not directly downstream of it"):
        decide_branch(branch, ["a2"])


def test_a_task_group_id_stands_for_the_groups_root_tasks():
    with DAG("groups") as dag:
        branch = EmptyOperator(task_id="branch")
        with TaskGroup("fast") as fast:
            first = EmptyOperator(task_id="first")
            first >> EmptyOperator(task_id="second")
        slow = EmptyOperator(task_id="slow")
        branch >> [fast, slow]
    assert expand_task_groups(dag, ["fast"]) == ["fast.first"]
    assert expand_task_groups(dag, ["slow"]) == ["slow"]
    assert decide_branch(branch, ["fast.first"]).skipped == ["slow"]
    with pytest.raises(BranchError, match=r"valid choices: 'fast\.first', 'slow', 'fast'"):
        decide_branch(branch, ["fast.second"])


# -- the operators ------------------------------------------------------------------------


def test_branch_python_operator_skips_the_other_branch_and_pushes_its_choice():
    _, branch = two_branches("a")
    _, ti, skipped = run(branch)
    assert skipped == ("b",)
    assert ti.pushed[XCOM_SKIPMIXIN_KEY] == {"followed": ["a"]}
    assert ti.pushed["return_value"] == "a"


def test_branch_returning_none_skips_all_and_pushes_no_return_value():
    _, branch = two_branches(None)
    _, ti, skipped = run(branch)
    assert skipped == ("a", "b")
    assert ti.pushed == {XCOM_SKIPMIXIN_KEY: {"followed": []}}


def test_following_every_branch_skips_nothing_and_returns_the_choice():
    _, branch = two_branches(["b", "a"])
    result, ti, skipped = run(branch)
    assert skipped is None
    assert result == ["b", "a"]
    assert ti.pushed[XCOM_SKIPMIXIN_KEY] == {"followed": ["a", "b"]}


def test_a_set_returned_by_the_callable_is_kept_as_a_sorted_list():
    _, branch = two_branches({"b"})
    _, ti, skipped = run(branch)
    assert skipped == ("a",)
    assert ti.pushed["return_value"] == ["b"]


def test_do_xcom_push_false_keeps_the_choice_out_of_xcom():
    _, branch = two_branches("a")
    branch.do_xcom_push = False
    _, ti, _ = run(branch)
    assert "return_value" not in ti.pushed


def test_a_custom_branch_operator_implements_choose_branch():
    class Weekend(BaseBranchOperator):
        def choose_branch(self, context):
            return "weekend" if context["ds"] == "2026-01-04" else ["weekday"]

    with DAG("custom"):
        pick = Weekend(task_id="pick")
        pick >> [EmptyOperator(task_id="weekday"), EmptyOperator(task_id="weekend")]
    _, _, skipped = run(pick)
    assert skipped == ("weekend",)


def test_a_base_branch_operator_without_choose_branch_says_what_to_implement():
    with DAG("bare"):
        bare = BaseBranchOperator(task_id="bare")
    with pytest.raises(NotImplementedError, match="must implement choose_branch"):
        run(bare)


# -- short circuits -----------------------------------------------------------------------


def short_circuit_dag(result: Any, ignore: bool) -> ShortCircuitOperator:
    """check >> [a, b]; a >> deep; deep >> done (all_done)"""
    with DAG("sc"):
        check = ShortCircuitOperator(
            task_id="check",
            python_callable=lambda: result,
            ignore_downstream_trigger_rules=ignore,
        )
        a, b, deep = (EmptyOperator(task_id=t) for t in ("a", "b", "deep"))
        done = EmptyOperator(task_id="done", trigger_rule="all_done")
        check >> [a, b]
        a >> deep >> done
    return check


def test_a_truthy_short_circuit_lets_everything_run_and_returns_the_value():
    result, _, skipped = run(short_circuit_dag({"rows": 3}, ignore=True))
    assert skipped is None
    assert result == {"rows": 3}


@pytest.mark.parametrize("falsy", [False, 0, "", [], None])
def test_a_falsy_short_circuit_skips_every_task_below_it_by_default(falsy):
    _, ti, skipped = run(short_circuit_dag(falsy, ignore=True))
    assert skipped == ("a", "b", "deep", "done")
    assert ti.pushed == {XCOM_SKIPMIXIN_KEY: {"skipped": ["a", "b", "deep", "done"]}}


def test_respecting_trigger_rules_skips_only_the_direct_downstream_tasks():
    check = short_circuit_dag(False, ignore=False)
    assert short_circuit_skips(check, False) == ["a", "b"]
    _, _, skipped = run(check)
    assert skipped == ("a", "b")


def test_a_falsy_short_circuit_without_downstream_tasks_just_returns():
    with DAG("alone"):
        check = ShortCircuitOperator(task_id="check", python_callable=lambda: 0)
    result, ti, skipped = run(check)
    assert (result, skipped, ti.pushed) == (0, None, {})


def test_a_short_circuit_never_skips_a_teardown():
    with DAG("teardown"):
        check = ShortCircuitOperator(task_id="check", python_callable=lambda: False)
        work = EmptyOperator(task_id="work")
        cleanup = EmptyOperator(task_id="cleanup").as_teardown()
        check >> work >> cleanup
    assert short_circuit_skips(check, True) == ["work"]


# -- the TaskFlow spellings ---------------------------------------------------------------


def test_task_branch_builds_a_branch_python_operator():
    with DAG("flow") as dag:

        @task.branch
        def pick(ds=None):
            return "weekday"

        chosen = pick()
        chosen >> [EmptyOperator(task_id="weekday"), EmptyOperator(task_id="weekend")]
    operator = dag.get_task("pick")
    assert isinstance(operator, BranchPythonOperator)
    assert operator.custom_operator_name == "@task.branch"
    _, ti, skipped = run(operator)
    assert skipped == ("weekend",)
    assert ti.pushed["return_value"] == "weekday"


def test_task_short_circuit_takes_ignore_downstream_trigger_rules():
    with DAG("flow") as dag:

        @task.short_circuit(ignore_downstream_trigger_rules=False)
        def has_rows():
            return []

        has_rows() >> EmptyOperator(task_id="load") >> EmptyOperator(task_id="report")
    operator = dag.get_task("has_rows")
    assert isinstance(operator, ShortCircuitOperator)
    assert operator.custom_operator_name == "@task.short_circuit"
    assert operator.ignore_downstream_trigger_rules is False
    _, _, skipped = run(operator)
    assert skipped == ("load",)
