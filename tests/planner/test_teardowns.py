"""Setup and teardown in the planner: the teardown's trigger rule, the implicit all_success on
a task's setups, and the run state that ignores teardowns. Expected values are Airflow's
documented behaviour (howto/setup-and-teardown) and its code (trigger_rule_dep.py,
DagRun._tis_for_dagrun_state)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from scheduler.planner import TaskView, UpstreamCounts, Verdict, evaluate, plan_run
from scheduler.spec import DagSpec, TaskSpec
from scheduler.states import RunState, TaskState
from scheduler.trigger_rule import TriggerRule

T = TaskState
NOW = datetime(2024, 1, 1, 12, tzinfo=UTC)
RULE = TriggerRule.ALL_DONE_SETUP_SUCCESS


def make_dag(
    edges: dict[str, list[str]],
    setups: tuple[str, ...] = (),
    teardowns: tuple[str, ...] = (),
    fail_dagrun: tuple[str, ...] = (),
) -> DagSpec:
    """``edges`` maps each task to its upstream tasks; teardowns get their trigger rule."""
    tasks = {
        task_id: TaskSpec(
            task_id=task_id,
            operator="EmptyOperator",
            upstream=tuple(upstream),
            trigger_rule=RULE.value if task_id in teardowns else "all_success",
            is_setup=task_id in setups,
            is_teardown=task_id in teardowns,
            on_failure_fail_dagrun=task_id in fail_dagrun,
        )
        for task_id, upstream in edges.items()
    }
    return DagSpec(dag_id="d", fileloc="d.py", tasks=tasks)


def views(dag: DagSpec, **states: str) -> dict[str, TaskView]:
    return {t: TaskView(T(states.get(t, "none"))) for t in dag.tasks}


def planned(dag: DagSpec, candidates: list[str] | None = None, **states: str):
    plan = plan_run(dag, views(dag, **states), NOW, candidates)
    return {t.task_id: t.new_state.value for t in plan.transitions}, plan


# create >> work >> delete.as_teardown(setups=create)
BASIC = {"create": [], "work": ["create"], "delete": ["work", "create"]}


def basic(**kwargs) -> DagSpec:
    return make_dag(BASIC, setups=("create",), teardowns=("delete",), **kwargs)


# -- the teardown's trigger rule -----------------------------------------------------------

S, F, UF, SK, R = T.SUCCESS, T.FAILED, T.UPSTREAM_FAILED, T.SKIPPED, T.RUNNING


def rule_counts(work: list[TaskState], setups: list[TaskState]) -> UpstreamCounts:
    everything = UpstreamCounts.from_states([*work, *setups])
    return UpstreamCounts(
        everything.total,
        everything.success,
        everything.failed,
        everything.upstream_failed,
        everything.skipped,
        setups=len(setups),
        setup_success=sum(1 for s in setups if s == S),
        setup_skipped=sum(1 for s in setups if s == SK),
    )


@pytest.mark.parametrize(
    ("work", "setups", "expected"),
    [
        ([F], [S], Verdict.RUN),  # runs although its work failed
        ([SK], [S], Verdict.RUN),  # and when its work was skipped
        ([UF], [S], Verdict.RUN),
        ([S], [S], Verdict.RUN),
        ([R], [S], Verdict.WAIT),  # waits for every upstream to finish
        ([S], [R], Verdict.WAIT),
        ([F, R], [S], Verdict.WAIT),
        ([SK], [SK], Verdict.SKIP),  # all setups skipped: skipped too
        ([SK, SK], [SK, SK], Verdict.SKIP),
        ([UF], [F], Verdict.UPSTREAM_FAILED),  # no setup succeeded: upstream_failed
        ([UF], [UF], Verdict.UPSTREAM_FAILED),
        ([UF], [F, SK], Verdict.UPSTREAM_FAILED),
        ([F], [F, S], Verdict.RUN),  # one setup of several succeeded: enough
        ([SK], [SK, S], Verdict.RUN),
        ([F, SK], [], Verdict.RUN),  # no setups at all: like all_done
    ],
)
def test_all_done_setup_success(work, setups, expected):
    assert evaluate(RULE, rule_counts(work, setups)) == expected


# -- through the planner -------------------------------------------------------------------


def test_the_setup_runs_first_then_work_then_teardown():
    dag = basic()
    assert planned(dag)[0] == {"create": "scheduled"}
    assert planned(dag, create="success")[0] == {"work": "scheduled"}
    moves, plan = planned(dag, create="success", work="running")
    assert moves == {} and plan.run_state is None
    assert planned(dag, create="success", work="success")[0] == {"delete": "scheduled"}


def test_a_teardown_runs_after_its_work_failed_and_the_run_still_fails():
    dag = basic()
    moves, plan = planned(dag, create="success", work="failed")
    assert moves == {"delete": "scheduled"}
    assert plan.run_state is None  # not finished while the teardown runs
    _, plan = planned(dag, create="success", work="failed", delete="success")
    assert plan.run_state == RunState.FAILED


def test_a_failed_teardown_does_not_fail_the_run():
    _, plan = planned(basic(), create="success", work="success", delete="failed")
    assert plan.run_state == RunState.SUCCESS


def test_on_failure_fail_dagrun_makes_a_failed_teardown_fail_the_run():
    dag = basic(fail_dagrun=("delete",))
    _, plan = planned(dag, create="success", work="success", delete="failed")
    assert plan.run_state == RunState.FAILED


def test_on_failure_fail_dagrun_makes_the_teardown_the_leaf_instead_of_its_work():
    # Airflow's rule: a task followed by a teardown that counts is no leaf any more, so only
    # the teardown decides (DagRun._tis_for_dagrun_state).
    dag = basic(fail_dagrun=("delete",))
    assert dag.run_state_leaves == ("delete",)
    _, plan = planned(dag, create="success", work="failed", delete="success")
    assert plan.run_state == RunState.SUCCESS


def test_a_skipped_setup_skips_its_work_and_teardown():
    dag = basic()
    moves, plan = planned(dag, create="skipped")
    assert moves == {"work": "skipped", "delete": "skipped"}
    assert plan.run_state == RunState.SUCCESS


def test_a_failed_setup_fails_work_and_teardown_upstream():
    dag = basic()
    moves, plan = planned(dag, ["work"], create="failed")
    assert moves == {"work": "upstream_failed", "delete": "upstream_failed"}
    assert plan.run_state == RunState.FAILED


def test_a_teardown_runs_when_one_of_its_setups_succeeded():
    dag = make_dag(
        {"s1": [], "s2": [], "w": ["s1", "s2"], "t": ["w", "s1", "s2"]},
        setups=("s1", "s2"),
        teardowns=("t",),
    )
    moves, _ = planned(dag, s1="success", s2="failed")
    assert moves == {"w": "upstream_failed", "t": "scheduled"}


def test_a_teardown_without_setups_waits_for_everything_upstream():
    dag = make_dag({"a": [], "b": [], "t": ["a", "b"]}, teardowns=("t",))
    assert planned(dag, a="failed", b="running")[0] == {}
    assert planned(dag, a="failed", b="skipped")[0] == {"t": "scheduled"}


def test_parallel_setups_each_with_its_teardown():
    # [create_cluster, create_bucket] >> run_query >> [delete_cluster, delete_bucket]
    dag = make_dag(
        {
            "cc": [],
            "cb": [],
            "q": ["cc", "cb"],
            "dc": ["q", "cc"],
            "db": ["q", "cb"],
        },
        setups=("cc", "cb"),
        teardowns=("dc", "db"),
    )
    moves, _ = planned(dag, cc="success", cb="failed")
    # the query cannot run; only the cluster, which was created, is deleted
    assert moves == {"q": "upstream_failed", "dc": "scheduled", "db": "upstream_failed"}
    _, plan = planned(dag, cc="success", cb="failed", dc="success")
    assert plan.run_state == RunState.FAILED


# -- the implicit all_success on indirect setups -------------------------------------------

# s1 >> w1 >> w2 >> t1.as_teardown(setups=s1)
SCOPE = {"s1": [], "w1": ["s1"], "w2": ["w1"], "t1": ["w2", "s1"]}


def scope_dag() -> DagSpec:
    return make_dag(SCOPE, setups=("s1",), teardowns=("t1",))


def test_indirect_setups_are_found_once_per_dag():
    dag = scope_dag()
    assert dag.indirect_setups == {"w2": ("s1",)}
    assert dag.setup_dependents == {"s1": ("w2",)}


def test_a_cleared_work_task_waits_for_its_setup_to_run_again():
    dag = scope_dag()
    # clearing w2 cleared s1 and t1 too; w1 still succeeded from before
    moves, plan = planned(dag, w1="success")
    assert moves == {"s1": "scheduled"}
    assert plan.run_state is None


def test_the_setup_finishing_frees_the_task_it_does_not_touch_directly():
    dag = scope_dag()
    # the engine passes the finished task and its downstream tasks only
    moves, _ = planned(dag, ["s1", "w1", "t1"], s1="success", w1="success")
    assert moves == {"w2": "scheduled"}


@pytest.mark.parametrize(
    ("setup", "expected"), [("failed", "upstream_failed"), ("skipped", "skipped")]
)
def test_an_indirect_setup_that_did_not_succeed_decides_the_task(setup, expected):
    moves, _ = planned(scope_dag(), ["s1", "w1", "t1"], s1=setup, w1="success")
    assert moves["w2"] == expected


def test_a_task_outside_every_scope_has_no_indirect_setup():
    # s1 >> w1 >> w2 >> t1.as_teardown(setups=s1) >> w3; w2 >> w4 (Airflow's scope example)
    dag = make_dag({**SCOPE, "w3": ["t1"], "w4": ["w2"]}, setups=("s1",), teardowns=("t1",))
    assert dag.indirect_setups == {"w2": ("s1",)}
    assert set(dag.run_state_leaves) == {"w3", "w4"}


def test_a_setup_without_teardown_covers_everything_below_it():
    dag = make_dag({"c": [], "q": ["c"], "o": ["q"]}, setups=("c",))
    assert dag.indirect_setups == {"o": ("c",)}


def test_a_dag_of_teardowns_only_falls_back_to_its_leaves():
    dag = make_dag({"t": []}, teardowns=("t",))
    assert dag.run_state_leaves == ("t",)
    _, plan = planned(dag, t="failed")
    assert plan.run_state == RunState.FAILED


def test_dags_without_setups_are_unchanged():
    dag = make_dag({"a": [], "b": ["a"]})
    assert dag.indirect_setups == {} and dag.setup_dependents == {}
    assert dag.run_state_leaves == dag.leaves == ("b",)
