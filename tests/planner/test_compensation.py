"""Compensation planning (sagas): order, partial successes, retries, failures, the end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from scheduler.planner import TaskView, compensable, plan_compensation
from scheduler.spec import DagSpec, TaskSpec
from scheduler.states import RunState, TaskState, check_task_transition

T = TaskState
NOW = datetime(2024, 1, 1, 12, tzinfo=UTC)


def make_dag(edges: dict[str, list[str]], compensated: set[str]) -> DagSpec:
    """``edges`` maps each task to its upstream tasks; ``compensated`` have a compensate."""
    tasks = {
        task_id: TaskSpec(
            task_id=task_id,
            operator="PythonOperator",
            upstream=tuple(upstream),
            has_compensation=task_id in compensated,
        )
        for task_id, upstream in edges.items()
    }
    return DagSpec(dag_id="d", fileloc="d.py", tasks=tasks)


def views(**states: str) -> dict[str, TaskView]:
    return {task_id: TaskView(T(state)) for task_id, state in states.items()}


def started(plan) -> list[str]:
    return [t.task_id for t in plan.to_start]


def run_saga(dag: DagSpec, states: dict[str, TaskView], fail: set[str] = frozenset()):
    """Play the saga to its end: every started compensation finishes (failing for the
    tasks in ``fail``); returns the order in which compensations started and the end."""
    order: list[str] = []
    for _ in range(len(dag.tasks) + 1):
        plan = plan_compensation(dag, states, {}, NOW)
        if plan.run_state is not None:
            return order, plan.run_state
        for t in plan.to_start:
            check_task_transition(t.old_state, t.new_state)
            order.append(t.task_id)
            end = T.COMPENSATION_FAILED if t.task_id in fail else T.COMPENSATED
            check_task_transition(T.COMPENSATING, end)
            states[t.task_id] = TaskView(end)
    raise AssertionError("the saga did not end")


# The order flow of dags/example_order_saga.py: reserve >> charge >> ship.
ORDER = make_dag({"reserve": [], "charge": ["reserve"], "ship": ["charge"]}, {"reserve", "charge"})


def test_compensations_run_in_reverse_dependency_order() -> None:
    states = views(reserve="success", charge="success", ship="failed")
    assert compensable(ORDER, states) == ["reserve", "charge"]
    plan = plan_compensation(ORDER, states, {}, NOW)
    assert started(plan) == ["charge"]  # reserve waits for the refund
    assert plan.run_state is None
    assert run_saga(ORDER, states) == (["charge", "reserve"], RunState.COMPENSATED)


def test_a_task_waits_while_a_compensation_below_it_is_in_progress() -> None:
    states = views(reserve="success", charge="compensating", ship="failed")
    plan = plan_compensation(ORDER, states, {"charge": TaskView(T.RUNNING, 1)}, NOW)
    assert started(plan) == []
    assert plan.run_state is None


def test_only_succeeded_tasks_are_compensated() -> None:
    # The charge failed: only the reservation is undone, at once.
    states = views(reserve="success", charge="failed", ship="upstream_failed")
    plan = plan_compensation(ORDER, states, {}, NOW)
    assert started(plan) == ["reserve"]
    assert plan.to_start[0].old_state == T.SUCCESS
    assert plan.to_start[0].new_state == T.COMPENSATING
    assert run_saga(ORDER, states) == (["reserve"], RunState.COMPENSATED)


def test_nothing_to_compensate_when_no_task_with_compensate_succeeded() -> None:
    states = views(reserve="failed", charge="upstream_failed", ship="upstream_failed")
    assert compensable(ORDER, states) == []


def test_tasks_without_compensate_are_waited_through() -> None:
    # a >> b >> c, b has nothing to undo: a's compensation still waits for c's.
    dag = make_dag({"a": [], "b": ["a"], "c": ["b"], "d": ["c"]}, {"a", "c"})
    states = views(a="success", b="success", c="success", d="failed")
    assert run_saga(dag, states) == (["c", "a"], RunState.COMPENSATED)
    assert states["b"].state == T.SUCCESS  # left alone


def test_independent_branches_compensate_in_parallel() -> None:
    dag = make_dag(
        {"root": [], "left": ["root"], "right": ["root"], "join": ["left", "right"]},
        {"root", "left", "right"},
    )
    states = views(root="success", left="success", right="success", join="failed")
    plan = plan_compensation(dag, states, {}, NOW)
    assert sorted(started(plan)) == ["left", "right"]
    states.update(views(left="compensated", right="compensating"))
    assert started(plan_compensation(dag, states, {}, NOW)) == []
    states.update(views(right="compensated"))
    assert started(plan_compensation(dag, states, {}, NOW)) == ["root"]


def test_a_failed_compensation_blocks_those_above_and_fails_the_run() -> None:
    dag = make_dag(
        {"root": [], "left": ["root"], "right": ["root"], "join": ["left", "right"]},
        {"root", "left", "right"},
    )
    states = views(root="success", left="success", right="success", join="failed")
    order, end = run_saga(dag, states, fail={"left"})
    assert sorted(order) == ["left", "right"]  # the other branch is still undone
    assert end == RunState.COMPENSATION_FAILED
    assert states["root"].state == T.SUCCESS  # never undone under a failed compensation


def test_all_compensations_succeeding_ends_compensated_any_failing_compensation_failed() -> None:
    states = views(reserve="compensated", charge="compensation_failed", ship="failed")
    assert plan_compensation(ORDER, states, {}, NOW).run_state == RunState.COMPENSATION_FAILED
    states = views(reserve="compensated", charge="compensated", ship="failed")
    assert plan_compensation(ORDER, states, {}, NOW).run_state == RunState.COMPENSATED


def test_compensation_retries_are_rescheduled_when_due() -> None:
    states = views(reserve="success", charge="compensating", ship="failed")
    later = NOW + timedelta(seconds=30)
    waiting = {"charge": TaskView(T.UP_FOR_RETRY, 1, later)}
    plan = plan_compensation(ORDER, states, waiting, NOW)
    assert plan.to_retry == []
    assert plan.next_wakeup == later
    assert plan.run_state is None
    plan = plan_compensation(ORDER, states, waiting, later)
    assert plan.to_retry == ["charge"]
    assert plan.next_wakeup is None


def test_descendants_with_compensations_are_cached_on_the_spec() -> None:
    assert ORDER.has_compensations
    assert ORDER.compensable_descendants == {"reserve": ("charge",), "charge": ()}
    plain = make_dag({"a": [], "b": ["a"]}, set())
    assert not plain.has_compensations


def test_compensation_settings_round_trip_through_the_spec() -> None:
    comp = TaskSpec(task_id="refund", operator="PythonOperator", retries=3, retry_delay_s=1.0)
    task = TaskSpec(task_id="charge", operator="X", has_compensation=True, compensation=comp)
    again = TaskSpec.from_dict(task.to_dict())
    assert again == task
    assert again.compensation is not None and again.compensation.retries == 3
