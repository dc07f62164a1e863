"""compensate_on_failure: a task that failed for good is undone too, first (nothing below it
ran), then the succeeded tasks above it; nothing starts while a try is still stopping."""

from __future__ import annotations

from dataclasses import replace

from scheduler.planner import TaskView, compensable, plan_compensation
from scheduler.states import RunState
from tests.planner.test_compensation import NOW, T, make_dag, run_saga, started, views

ORDER = {"reserve": [], "charge": ["reserve"], "ship": ["charge"]}


def saga(on_failure: set[str]):
    dag = make_dag(ORDER, {"reserve", "charge"})
    tasks = {
        task_id: replace(task, compensate_on_failure=task_id in on_failure)
        for task_id, task in dag.tasks.items()
    }
    return replace(dag, tasks=tasks)


def test_a_failed_step_with_compensate_on_failure_is_undone_before_the_steps_above_it() -> None:
    dag = saga({"charge"})
    states = views(reserve="success", charge="failed", ship="upstream_failed")
    assert compensable(dag, states) == ["reserve", "charge"]
    plan = plan_compensation(dag, states, {}, NOW)
    assert started(plan) == ["charge"]  # reserve waits for the charge's undo
    (step,) = plan.to_start
    assert (step.old_state, step.new_state) == (T.FAILED, T.COMPENSATING)
    assert step.reason.startswith("task failed (compensate_on_failure)")
    order, end = run_saga(dag, states)
    assert (order, end) == (["charge", "reserve"], RunState.COMPENSATED)


def test_without_it_a_failed_step_is_left_alone_as_before() -> None:
    dag = saga(set())
    states = views(reserve="success", charge="failed", ship="upstream_failed")
    assert compensable(dag, states) == ["reserve"]
    assert run_saga(dag, states) == (["reserve"], RunState.COMPENSATED)


def test_a_failed_undo_of_the_failed_step_blocks_the_ones_above() -> None:
    dag = saga({"charge"})
    states = views(reserve="success", charge="failed", ship="upstream_failed")
    order, end = run_saga(dag, states, fail={"charge"})
    assert (order, end) == (["charge"], RunState.COMPENSATION_FAILED)
    assert states["reserve"].state == T.SUCCESS  # still charged, maybe: stock kept


def test_the_only_thing_to_undo_may_be_the_failed_step() -> None:
    dag = saga({"reserve"})
    states = views(reserve="failed", charge="upstream_failed", ship="upstream_failed")
    assert compensable(dag, states) == ["reserve"]
    assert run_saga(dag, states) == (["reserve"], RunState.COMPENSATED)


def test_the_flag_undoes_only_failed_tasks_not_skipped_or_upstream_failed_ones() -> None:
    dag = saga({"reserve", "charge"})
    states = views(reserve="success", charge="upstream_failed", ship="failed")
    assert compensable(dag, states) == ["reserve"]


def test_nothing_starts_and_the_run_waits_while_a_try_is_still_stopping() -> None:
    dag = saga({"charge"})
    states = views(reserve="success", charge="failed", ship="upstream_failed")
    held = plan_compensation(dag, states, {}, NOW, stopping={"charge"})
    assert held.to_start == [] and held.run_state is None
    # Even with nothing left to undo, the run does not end while a try is stopping.
    done = views(reserve="compensated", charge="compensated", ship="upstream_failed")
    assert plan_compensation(dag, done, {}, NOW, stopping={"ship"}).run_state is None
    assert plan_compensation(dag, done, {}, NOW).run_state == RunState.COMPENSATED
    assert started(plan_compensation(dag, states, {}, NOW)) == ["charge"]


def test_retries_of_started_compensations_go_on_while_a_try_is_stopping() -> None:
    dag = saga({"charge"})
    states = views(reserve="success", charge="compensating", ship="upstream_failed")
    waiting = {"charge": TaskView(T.UP_FOR_RETRY, 1, NOW)}
    plan = plan_compensation(dag, states, waiting, NOW, stopping={"ship"})
    assert plan.to_retry == ["charge"] and plan.to_start == []
