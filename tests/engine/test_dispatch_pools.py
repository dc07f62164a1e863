"""Which scheduled tries dispatch picks when pools apply: pure, no database."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from scheduler.engine.dispatch import PoolBudget, select_for_dispatch
from scheduler.engine.live import LiveRun, LiveState
from scheduler.planner import UNMAPPED, TaskView
from scheduler.spec import DagSpec, TaskSpec
from scheduler.states import RunState, TaskState
from scheduler.store.pools import PoolLimit

T0 = datetime(2026, 12, 2, tzinfo=UTC)
S = TaskState


def make_run(dag_id: str, tasks: list[TaskSpec], day: int = 0) -> LiveRun:
    spec = DagSpec(dag_id=dag_id, fileloc=f"/dags/{dag_id}.py", tasks={t.task_id: t for t in tasks})
    when = T0 + timedelta(days=day)
    run = LiveRun(1, dag_id, f"r{day}", "manual", RunState.RUNNING, when, when, when, {}, spec)
    for task in tasks:
        run.tasks[(task.task_id, UNMAPPED)] = TaskView(S.NONE)
    return run


def live_with(*runs: tuple[LiveRun, dict[str, TaskState]]) -> LiveState:
    """A LiveState holding the runs, their tasks moved to the given states through
    ``set_task`` (so the pool counters are maintained the way the engine maintains them)."""
    live = LiveState()
    for run, states in runs:
        live.add(run)
        for task_id, state in states.items():
            live.set_task(run, (task_id, UNMAPPED), TaskView(state, 1))
    return live


def pick(live: LiveState, limits: dict[str, PoolLimit] | None, free: int = 16) -> list[str]:
    budget = None if limits is None else PoolBudget(limits, live.pool_slots, live.pool_deferred)
    picked = select_for_dispatch(live.runs.values(), live.active_tasks, free, budget)
    return [f"{run.dag_id}.{key[0]}" for run, key, _ in picked]


def task(task_id: str, pool: str = "p", slots: int = 1, weight: int = 1) -> TaskSpec:
    return TaskSpec(task_id, "EmptyOperator", pool=pool, pool_slots=slots, priority_weight=weight)


def test_a_pool_bounds_tries_across_dags_highest_priority_first() -> None:
    a = make_run("a", [task("a1"), task("a2", weight=5)])
    b = make_run("b", [task("b1", weight=9), task("b2")], day=1)
    ready = {"a1": S.SCHEDULED, "a2": S.SCHEDULED}
    live = live_with((a, ready), (b, {"b1": S.SCHEDULED, "b2": S.SCHEDULED}))
    assert pick(live, {"p": PoolLimit(2)}) == ["b.b1", "a.a2"]
    assert pick(live, None) == ["b.b1", "a.a2", "a.a1", "b.b2"]  # no pools: dags test


def test_queued_and_running_tries_hold_their_slots() -> None:
    run = make_run("a", [task("q"), task("r"), task("s1"), task("s2")])
    live = live_with((run, {"q": S.QUEUED, "r": S.RUNNING, "s1": S.SCHEDULED, "s2": S.SCHEDULED}))
    assert live.pool_slots["p"] == 2
    assert pick(live, {"p": PoolLimit(3)}) == ["a.s1"]
    assert pick(live, {"p": PoolLimit(2)}) == []


def test_pool_slots_weigh_and_a_big_try_lets_smaller_ones_pass() -> None:
    run = make_run("a", [task("running"), task("wide", slots=2, weight=9), task("narrow")])
    live = live_with((run, {"running": S.RUNNING, "wide": S.SCHEDULED, "narrow": S.SCHEDULED}))
    assert live.pool_slots["p"] == 1
    assert pick(live, {"p": PoolLimit(2)}) == ["a.narrow"]  # wide needs 2, 1 is open
    assert pick(live, {"p": PoolLimit(3)}) == ["a.wide"]  # wide fits and fills the pool
    assert pick(live, {"p": PoolLimit(4)}) == ["a.wide", "a.narrow"]


def test_unknown_pools_and_too_wide_tries_wait_and_are_logged_once(caplog) -> None:
    run = make_run("a", [task("lost", pool="gone"), task("fat", pool="small", slots=3)])
    live = live_with((run, {"lost": S.SCHEDULED, "fat": S.SCHEDULED}))
    with caplog.at_level(logging.WARNING, logger="baton.engine"):
        for _ in range(3):
            assert pick(live, {"small": PoolLimit(2)}) == []
    messages = [r.getMessage() for r in caplog.records]
    assert sum("pool 'gone' does not exist" in m for m in messages) == 1
    assert sum("a.fat needs pool_slots=3 but pool 'small' has 2" in m for m in messages) == 1


def test_an_unlimited_pool_is_bounded_only_by_free_slots() -> None:
    run = make_run("a", [task(f"t{i}", pool="free", slots=50) for i in range(5)])
    live = live_with((run, {f"t{i}": S.SCHEDULED for i in range(5)}))
    assert len(pick(live, {"free": PoolLimit(-1)}, free=4)) == 4


@pytest.mark.parametrize(("include_deferred", "expected"), [(False, 1), (True, 0)])
def test_deferred_tries_count_only_in_pools_that_include_them(include_deferred, expected) -> None:
    run = make_run("a", [task("waiting"), task("next")])
    live = live_with((run, {"waiting": S.DEFERRED, "next": S.SCHEDULED}))
    assert (live.pool_slots["p"], live.pool_deferred["p"]) == (0, 1)
    assert len(pick(live, {"p": PoolLimit(1, include_deferred)})) == expected


def test_max_active_tasks_still_applies_and_a_skipped_task_takes_no_pool_slot() -> None:
    tasks = [task("t1"), task("t2"), task("t3")]
    spec = DagSpec("a", "/dags/a.py", {t.task_id: t for t in tasks}, max_active_tasks=1)
    run = LiveRun(1, "a", "r", "manual", RunState.RUNNING, T0, T0, T0, {}, spec)
    for t in tasks:
        run.tasks[(t.task_id, UNMAPPED)] = TaskView(S.NONE)
    other = make_run("b", [task("b1")])
    live = live_with((run, {"t1": S.SCHEDULED, "t2": S.SCHEDULED}), (other, {"b1": S.SCHEDULED}))
    # a: one task at most; the pool's second slot goes to b rather than to a's t2.
    assert pick(live, {"p": PoolLimit(2)}) == ["a.t1", "b.b1"]


def test_counters_follow_the_life_of_tries_and_of_runs() -> None:
    run = make_run("a", [task("t", slots=3)])
    live = live_with((run, {}))
    key = ("t", UNMAPPED)
    for state, used in [(S.SCHEDULED, 0), (S.QUEUED, 3), (S.RUNNING, 3), (S.UP_FOR_RETRY, 0)]:
        live.set_task(run, key, TaskView(state, 1))
        assert live.pool_slots["p"] == used, state
    live.set_task(run, key, TaskView(S.RUNNING, 2))
    live.remove(run)
    assert live.pool_slots["p"] == 0
    live.add(run)  # re-adopted from the Store with its try still running
    assert live.pool_slots["p"] == 3
    live.clear()
    assert (live.runs, live.pool_slots["p"]) == ({}, 0)


def test_a_compensation_takes_its_own_operators_pool() -> None:
    undo = TaskSpec("charge", "RefundOperator", pool="refunds", pool_slots=2)
    charge = TaskSpec("charge", "Python", pool="p", compensation=undo, has_compensation=True)
    run = make_run("saga", [charge])
    run.state = RunState.COMPENSATING
    live = live_with((run, {"charge": S.COMPENSATING}))
    live.set_compensation(run, "charge", TaskView(S.SCHEDULED))
    assert pick(live, {"p": PoolLimit(5), "refunds": PoolLimit(1)}) == []
    assert pick(live, {"p": PoolLimit(0), "refunds": PoolLimit(2)}) == ["saga.charge"]
    live.set_compensation(run, "charge", TaskView(S.RUNNING, 1))
    assert (live.pool_slots["refunds"], live.pool_slots["p"]) == (2, 0)
    live.set_compensation(run, "charge", None)
    assert live.pool_slots["refunds"] == 0
