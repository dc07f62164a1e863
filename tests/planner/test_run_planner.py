"""Readiness of a run: scheduling, cascades, retries, run state, incremental planning."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from scheduler.errors import TaskNotFoundError
from scheduler.planner import RunPlan, TaskView, Transition, plan_run
from scheduler.spec import DagSpec, TaskSpec
from scheduler.states import RunState, TaskState, check_task_transition
from scheduler.trigger_rule import TriggerRule

T = TaskState
NOW = datetime(2024, 1, 1, 12, tzinfo=UTC)


def make_dag(edges: dict[str, list[str]], rules: dict[str, str] | None = None) -> DagSpec:
    """``edges`` maps each task to its upstream tasks (declaration order = dict order)."""
    rules = rules or {}
    tasks = {
        task_id: TaskSpec(
            task_id=task_id,
            operator="EmptyOperator",
            upstream=tuple(upstream),
            trigger_rule=rules.get(task_id, "all_success"),
        )
        for task_id, upstream in edges.items()
    }
    return DagSpec(dag_id="d", fileloc="d.py", tasks=tasks)


def views(dag: DagSpec, **states: str) -> dict[str, TaskView]:
    """Every task ``none`` unless given."""
    return {t: TaskView(T(states.get(t, "none"))) for t in dag.tasks}


def apply(states: dict[str, TaskView], plan: RunPlan) -> None:
    for tr in plan.transitions:
        check_task_transition(states[tr.task_id].state, tr.new_state)
        states[tr.task_id] = TaskView(tr.new_state, states[tr.task_id].try_number)


def moves(plan: RunPlan) -> list[tuple[str, str]]:
    return [(t.task_id, t.new_state.value) for t in plan.transitions]


CHAIN = {"a": [], "b": ["a"], "c": ["b"]}


def test_only_roots_are_scheduled_at_the_start():
    dag = make_dag({"a": [], "b": [], "c": ["a", "b"]})
    plan = plan_run(dag, views(dag), NOW)
    assert moves(plan) == [("a", "scheduled"), ("b", "scheduled")]
    assert plan.to_schedule == [("a", -1), ("b", -1)]
    assert plan.run_state is None and plan.next_wakeup is None
    assert plan.transitions[0] == Transition("a", T.NONE, T.SCHEDULED, "no upstream tasks")


def test_downstream_is_scheduled_when_its_upstream_succeeded():
    dag = make_dag(CHAIN)
    plan = plan_run(dag, views(dag, a="success"), NOW)
    assert moves(plan) == [("b", "scheduled")]
    assert "all_success" in plan.transitions[0].reason


def test_upstream_failed_cascades_through_a_chain_in_one_plan():
    dag = make_dag({**CHAIN, "d": ["c"]})
    plan = plan_run(dag, views(dag, a="failed"), NOW)
    assert moves(plan) == [
        ("b", "upstream_failed"),
        ("c", "upstream_failed"),
        ("d", "upstream_failed"),
    ]
    assert plan.run_state == RunState.FAILED
    assert "1 failed" in plan.transitions[0].reason


def test_skip_cascades_and_a_run_of_skipped_leaves_succeeds():
    dag = make_dag(CHAIN)
    plan = plan_run(dag, views(dag, a="skipped"), NOW)
    assert moves(plan) == [("b", "skipped"), ("c", "skipped")]
    assert plan.run_state == RunState.SUCCESS


def test_cascade_stops_at_a_rule_that_tolerates_the_failure():
    dag = make_dag(
        {"a": [], "b": ["a"], "cleanup": ["b"], "after": ["cleanup"]},
        rules={"cleanup": TriggerRule.ALL_DONE},
    )
    plan = plan_run(dag, views(dag, a="failed"), NOW)
    assert moves(plan) == [("b", "upstream_failed"), ("cleanup", "scheduled")]
    assert plan.run_state is None


def test_branch_join_with_none_failed_min_one_success():
    dag = make_dag(
        {"branch": [], "left": ["branch"], "right": ["branch"], "join": ["left", "right"]},
        rules={"join": TriggerRule.NONE_FAILED_MIN_ONE_SUCCESS},
    )
    plan = plan_run(dag, views(dag, branch="success", left="success", right="skipped"), NOW)
    assert moves(plan) == [("join", "scheduled")]


def test_due_retry_is_scheduled_and_a_later_one_sets_the_wakeup():
    dag = make_dag({"a": [], "b": [], "c": []})
    states = {
        "a": TaskView(T.UP_FOR_RETRY, 1, NOW - timedelta(seconds=1)),
        "b": TaskView(T.UP_FOR_RETRY, 1, NOW + timedelta(minutes=5)),
        "c": TaskView(T.UP_FOR_RETRY, 2, NOW + timedelta(minutes=2)),
    }
    plan = plan_run(dag, states, NOW)
    assert moves(plan) == [("a", "scheduled")]
    assert "try 2" in plan.transitions[0].reason
    assert plan.next_wakeup == NOW + timedelta(minutes=2)
    assert plan.run_state is None


def test_retry_exactly_due_or_without_time_is_scheduled():
    dag = make_dag({"a": [], "b": []})
    states = {"a": TaskView(T.UP_FOR_RETRY, 1, NOW), "b": TaskView(T.UP_FOR_RETRY, 1, None)}
    plan = plan_run(dag, states, NOW)
    assert sorted(moves(plan)) == [("a", "scheduled"), ("b", "scheduled")]
    assert plan.next_wakeup is None


@pytest.mark.parametrize(
    ("states", "expected"),
    [
        ({"a": "success", "b": "success", "c": "success"}, RunState.SUCCESS),
        ({"a": "failed", "b": "skipped", "c": "success"}, RunState.SUCCESS),  # leaf c succeeded
        ({"a": "success", "b": "success", "c": "failed"}, RunState.FAILED),
        ({"a": "success", "b": "failed", "c": "upstream_failed"}, RunState.FAILED),
        ({"a": "success", "b": "running", "c": "none"}, None),
        ({"a": "success", "b": "up_for_retry", "c": "none"}, None),
    ],
)
def test_run_state_is_decided_by_the_leaves_once_everything_finished(states, expected):
    dag = make_dag(CHAIN, rules={"c": TriggerRule.ALL_DONE})
    plan = plan_run(
        dag, {t: TaskView(T(s), 1, NOW + timedelta(hours=1)) for t, s in states.items()}, NOW
    )
    assert plan.transitions == []
    assert plan.run_state == expected


def test_missing_task_views_count_as_none():
    dag = make_dag(CHAIN)
    plan = plan_run(dag, {"a": TaskView(T.SUCCESS)}, NOW)
    assert moves(plan) == [("b", "scheduled")]
    assert plan.run_state is None


def test_plan_does_not_modify_the_states_it_was_given():
    dag = make_dag(CHAIN)
    states = views(dag, a="failed")
    before = dict(states)
    plan_run(dag, states, NOW)
    assert states == before


def test_unknown_candidates_are_refused_with_their_names():
    dag = make_dag(CHAIN)
    with pytest.raises(TaskNotFoundError, match=r"'d'.*zz"):
        plan_run(dag, views(dag), NOW, candidates=["zz", "b"])


def test_candidates_limit_what_is_evaluated_but_follow_the_cascade():
    dag = make_dag({"a": [], "b": ["a"], "c": ["b"], "x": []})
    states = views(dag, a="failed")
    plan = plan_run(dag, states, NOW, candidates=["b"])
    assert moves(plan) == [("b", "upstream_failed"), ("c", "upstream_failed")]  # x untouched


def test_wide_fan_in_join_fails_early_and_finishes_when_all_are_done():
    edges = {f"p{i}": [] for i in range(200)} | {"join": [f"p{i}" for i in range(200)]}
    dag = make_dag(edges)
    states = views(dag)
    apply(states, plan_run(dag, states, NOW))
    assert sum(v.state == T.SCHEDULED for v in states.values()) == 200
    for i in range(200):
        states[f"p{i}"] = TaskView(T.FAILED if i == 7 else T.SUCCESS)
        plan = plan_run(dag, states, NOW, candidates=dag.downstream[f"p{i}"])
        apply(states, plan)
        if i < 7:
            assert plan.transitions == []
        if i == 7:
            assert moves(plan) == [("join", "upstream_failed")]
        assert plan.run_state == (RunState.FAILED if i == 199 else None)


def test_wide_fan_in_join_runs_after_the_last_success():
    edges = {f"p{i}": [] for i in range(50)} | {"join": [f"p{i}" for i in range(50)]}
    dag = make_dag(edges)
    states = views(dag, **dict.fromkeys(edges, "success"))
    states["join"] = TaskView(T.NONE)
    states["p49"] = TaskView(T.RUNNING)
    assert plan_run(dag, states, NOW, candidates=["join"]).transitions == []
    states["p49"] = TaskView(T.SUCCESS)
    assert moves(plan_run(dag, states, NOW, candidates=["join"])) == [("join", "scheduled")]


# --------------------------------------------------------------------------- incremental == full


def random_dag(rng: random.Random, size: int) -> DagSpec:
    rules = list(TriggerRule)
    edges: dict[str, list[str]] = {}
    for i in range(size):
        earlier = list(edges)
        count = rng.randint(0, min(3, len(earlier)))
        edges[f"t{i}"] = rng.sample(earlier, count)
    return make_dag(edges, {t: rng.choice(rules).value for t in edges})


def finish_one(rng: random.Random, states: dict[str, TaskView], now: datetime) -> str | None:
    """Pretend a scheduled task ran and ended; return its id (None when nothing is running)."""
    running = sorted(t for t, v in states.items() if v.state == T.SCHEDULED)
    if not running:
        return None
    task_id = rng.choice(running)
    view = states[task_id]
    outcome = rng.choice([T.SUCCESS, T.SUCCESS, T.FAILED, T.SKIPPED, T.UP_FOR_RETRY])
    if outcome == T.UP_FOR_RETRY and view.try_number >= 2:
        outcome = T.FAILED
    retry_at = now + timedelta(minutes=rng.randint(1, 5)) if outcome == T.UP_FOR_RETRY else None
    states[task_id] = TaskView(outcome, view.try_number + 1, retry_at)
    return task_id


@pytest.mark.parametrize("seed", range(25))
def test_planning_only_the_downstream_of_finished_tasks_matches_a_full_plan(seed):
    rng = random.Random(seed)
    dag = random_dag(rng, rng.randint(3, 25))
    states, now = views(dag), NOW
    apply(states, plan_run(dag, states, now))
    for _ in range(200):
        finished = finish_one(rng, states, now)
        if finished is None:
            now += timedelta(minutes=5)  # nothing runs: only retries can move the run on
            candidates: tuple[str, ...] = ()
        else:
            candidates = dag.downstream[finished]
        full = plan_run(dag, states, now)
        incremental = plan_run(dag, states, now, candidates=candidates)
        assert incremental == full
        apply(states, full)
        if full.run_state is not None:
            break
    assert full.run_state is not None, f"run did not finish: {states}"
