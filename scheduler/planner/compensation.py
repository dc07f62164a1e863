"""Sagas: which compensations of a failed run start now, and how the compensating run ends.

Pure, like ``plan_run``: the engine passes the DAG spec, the task states, the phases of the
compensations in progress and ``now``, and applies what comes back. The rules
(docs/sagas.md):

- A failed run compensates the tasks that succeeded and have a ``compensate``, and the
  tasks that failed for good with ``compensate_on_failure=True`` (a failed or timed-out
  try may have acted before it was cut off); the others (failed without it, skipped,
  never run, or nothing to undo) are left as they are.
- Nothing starts while a try of the run is still being stopped (a task marked failed while
  running, a run that timed out): its call must be cut off before anything is undone, or
  a late effect could land after its compensation.
- Reverse dependency order: a task's compensation starts once the compensations of every
  task below it (at any depth, through tasks without a compensation too) are
  ``compensated``. Independent branches compensate in parallel.
- A compensation that failed for good blocks the ones above it: undoing an earlier step
  while a later step's effect is still in place could leave things worse (stock released
  for an order that is still charged). Those tasks stay ``success``.
- The run ends when nothing is compensating and nothing more can start: ``compensated`` if
  every compensation succeeded, ``compensation_failed`` otherwise.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from scheduler.planner.run_planner import TaskView, Transition
from scheduler.spec import DagSpec, TaskSpec
from scheduler.states import RunState, TaskState

T = TaskState


@dataclass(frozen=True)
class CompensationPlan:
    #: ``success → compensating``: these tasks' compensations are scheduled now.
    to_start: list[Transition] = field(default_factory=list)
    #: Compensations whose retry delay is over: ``up_for_retry → scheduled``.
    to_retry: list[str] = field(default_factory=list)
    next_wakeup: datetime | None = None  # earliest compensation retry still waiting
    run_state: RunState | None = None  # COMPENSATED / COMPENSATION_FAILED at the end


def compensable(dag: DagSpec, states: Mapping[str, TaskView]) -> list[str]:
    """The tasks a failed run would compensate: succeeded with a ``compensate``, or failed
    with ``compensate_on_failure``."""
    return [task_id for task_id, task in dag.tasks.items() if undoes(task, _state(states, task_id))]


def undoes(task: TaskSpec, state: TaskState) -> bool:
    """Whether a compensating run undoes ``task`` in ``state`` (and has not yet)."""
    if not task.has_compensation:
        return False
    return state == T.SUCCESS or (state == T.FAILED and task.compensate_on_failure)


def plan_compensation(
    dag: DagSpec,
    states: Mapping[str, TaskView],
    compensations: Mapping[str, TaskView],
    now: datetime,
    stopping: Collection[str] = (),
) -> CompensationPlan:
    """Decide what happens next in a ``compensating`` run of ``dag`` at ``now``.

    ``states`` are the task instances' views; ``compensations`` the phase views (state =
    phase, ``try_number`` = compensation tries so far, ``next_retry_at``) of the tasks that
    are ``compensating``. Tasks missing from ``states`` are taken as ``none``. ``stopping``
    names the tasks whose tries the executor is still stopping: until they are reported
    stopped no compensation starts and the run does not end.
    """
    to_start = [] if stopping else _startable(dag, states)
    to_retry, next_wakeup = _due_retries(states, compensations, now)
    busy = (
        bool(to_start)
        or bool(stopping)
        or any(_state(states, task_id) == T.COMPENSATING for task_id in dag.tasks)
    )
    run_state = None if busy else _end_state(dag, states)
    return CompensationPlan(to_start, to_retry, next_wakeup, run_state)


def _startable(dag: DagSpec, states: Mapping[str, TaskView]) -> list[Transition]:
    """Tasks to undo whose compensable descendants are all compensated (or not part of the
    saga: failed without compensate_on_failure, skipped, never run), leaves first."""
    started = []
    for task_id in reversed(dag.topological_order):
        own = _state(states, task_id)
        if not undoes(dag.tasks[task_id], own):
            continue
        below = [(d, _state(states, d)) for d in dag.compensable_descendants[task_id]]
        waiting = [
            d for d, state in below if state == T.COMPENSATING or undoes(dag.tasks[d], state)
        ]
        failed = [d for d, state in below if state == T.COMPENSATION_FAILED]
        if waiting or failed:
            continue
        done = [d for d, state in below if state == T.COMPENSATED]
        reason = (
            f"compensations below it finished: {', '.join(done)}"
            if done
            else "no compensation below it to wait for"
        )
        why = "run failed" if own == T.SUCCESS else "task failed (compensate_on_failure)"
        started.append(Transition(task_id, own, T.COMPENSATING, f"{why}; {reason}"))
    return started


def _due_retries(
    states: Mapping[str, TaskView], compensations: Mapping[str, TaskView], now: datetime
) -> tuple[list[str], datetime | None]:
    due, next_wakeup = [], None
    for task_id, phase in compensations.items():
        if phase.state != T.UP_FOR_RETRY or _state(states, task_id) != T.COMPENSATING:
            continue
        when = phase.next_retry_at
        if when is None or when <= now:
            due.append(task_id)
        elif next_wakeup is None or when < next_wakeup:
            next_wakeup = when
    return due, next_wakeup


def _end_state(dag: DagSpec, states: Mapping[str, TaskView]) -> RunState:
    """Nothing compensating and nothing startable: any compensation failed (or blocked by
    one that failed) makes the run compensation_failed."""
    for task_id, task in dag.tasks.items():
        state = _state(states, task_id)
        if state == T.COMPENSATION_FAILED or undoes(task, state):
            return RunState.COMPENSATION_FAILED
    return RunState.COMPENSATED


def _state(states: Mapping[str, TaskView], task_id: str) -> TaskState:
    view = states.get(task_id)
    return view.state if view is not None else T.NONE
