"""Readiness of one DAG run: which tasks to schedule, skip, fail or retry, and the run's end.

Pure: the caller reads the task states, calls ``plan_run`` with the clock, writes the
transitions it gets back (each one legal in ``scheduler.states``) and sleeps until
``next_wakeup`` or the next task event. Cost is one pass over the run's tasks plus the
upstream edges of the tasks evaluated, so the engine can plan on every task completion.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from scheduler.errors import TaskNotFoundError
from scheduler.planner.teardowns import setup_constraint, upstream_counts
from scheduler.planner.trigger_rules import Verdict, evaluate
from scheduler.spec import DagSpec, TaskSpec
from scheduler.states import FINISHED_TASK_STATES, RunState, TaskState

T = TaskState
_VERDICT_STATE = {
    Verdict.RUN: T.SCHEDULED,
    Verdict.SKIP: T.SKIPPED,
    Verdict.UPSTREAM_FAILED: T.UPSTREAM_FAILED,
}
_FAILED_LEAF = frozenset({T.FAILED, T.UPSTREAM_FAILED})


@dataclass(frozen=True, slots=True)
class TaskView:
    """What the planner needs to know of one task instance of the run."""

    state: TaskState
    try_number: int = 0  # tries started so far
    next_retry_at: datetime | None = None  # set while up_for_retry


@dataclass(frozen=True, slots=True)
class Transition:
    task_id: str
    old_state: TaskState
    new_state: TaskState
    reason: str  # for the event log, e.g. "trigger rule all_success: 1 upstream failed ..."


@dataclass(frozen=True)
class RunPlan:
    transitions: list[Transition] = field(default_factory=list)
    next_wakeup: datetime | None = None  # earliest retry still waiting; None if nothing waits
    run_state: RunState | None = None  # SUCCESS/FAILED once every task is finished

    @property
    def to_schedule(self) -> list[str]:
        """Task ids that became ``scheduled``, in topological order after due retries."""
        return [t.task_id for t in self.transitions if t.new_state == T.SCHEDULED]


def plan_run(
    dag: DagSpec,
    states: Mapping[str, TaskView],
    now: datetime,
    candidates: Iterable[str] | None = None,
) -> RunPlan:
    """Decide what happens next in one run of ``dag`` at ``now``.

    - ``none`` tasks get their trigger rule evaluated: RUN → ``scheduled``, SKIP →
      ``skipped``, UPSTREAM_FAILED → ``upstream_failed``; a task skipped or failed here makes
      its downstream tasks evaluated too, in topological order, within this call.
    - ``up_for_retry`` tasks whose ``next_retry_at`` has come (or is unset) → ``scheduled``;
      the others set ``next_wakeup``.
    - ``candidates``: evaluate only these tasks' trigger rules (plus the cascade); the engine
      passes the downstream of the tasks that just finished. None evaluates every task.
      Retries and the run state always look at every task: that is one comparison each.

    Tasks missing from ``states`` are taken as ``none`` (not created yet).
    """
    changed: dict[str, TaskState] = {}

    def state_of(task_id: str) -> TaskState:
        state = changed.get(task_id)
        if state is not None:
            return state
        view = states.get(task_id)
        return view.state if view is not None else T.NONE

    transitions, next_wakeup = _due_retries(dag, states, now)
    changed.update((t.task_id, t.new_state) for t in transitions)
    pending = None if candidates is None else _checked_candidates(dag, candidates)
    for transition in _cascade(dag, state_of, pending):
        changed[transition.task_id] = transition.new_state
        transitions.append(transition)
    return RunPlan(transitions, next_wakeup, _run_state(dag, state_of))


def _due_retries(
    dag: DagSpec, states: Mapping[str, TaskView], now: datetime
) -> tuple[list[Transition], datetime | None]:
    transitions: list[Transition] = []
    next_wakeup: datetime | None = None
    for task_id, view in states.items():
        if view.state != T.UP_FOR_RETRY or task_id not in dag.tasks:
            continue
        due = view.next_retry_at
        if due is None or due <= now:
            when = "now" if due is None else due.isoformat()
            reason = f"retry delay over (due {when}); try {view.try_number + 1} is next"
            transitions.append(Transition(task_id, T.UP_FOR_RETRY, T.SCHEDULED, reason))
        elif next_wakeup is None or due < next_wakeup:
            next_wakeup = due
    return transitions, next_wakeup


def _checked_candidates(dag: DagSpec, candidates: Iterable[str]) -> set[str]:
    pending = set(candidates)
    for task_id in list(pending):  # a setup that finished may free tasks not directly below
        pending.update(dag.setup_dependents.get(task_id, ()))
    unknown = pending.difference(dag.tasks)
    if unknown:
        raise TaskNotFoundError(
            f"DAG {dag.dag_id!r} has no task(s) {', '.join(sorted(unknown))}; candidates must "
            "be task_ids of the DAG being planned (was the DAG changed since the run started?)"
        )
    return pending


def _cascade(
    dag: DagSpec, state_of: Callable[[str], TaskState], pending: set[str] | None
) -> Iterable[Transition]:
    """Evaluate ``pending`` (None: all) ``none`` tasks in topological order; a task that
    becomes skipped or upstream_failed adds its downstream tasks to ``pending``, and
    topological order guarantees they come later in the walk."""
    for task_id in dag.topological_order:
        if pending is not None and task_id not in pending:
            continue
        if state_of(task_id) != T.NONE:
            continue
        transition = _decide(dag, dag.tasks[task_id], state_of)
        if transition is None:
            continue
        if pending is not None and transition.new_state != T.SCHEDULED:
            pending.update(dag.downstream[task_id])
        yield transition


def _decide(
    dag: DagSpec, task: TaskSpec, state_of: Callable[[str], TaskState]
) -> Transition | None:
    blocked = setup_constraint(dag, task, state_of)
    if blocked is not None and blocked[0] != Verdict.WAIT:
        return Transition(task.task_id, T.NONE, _VERDICT_STATE[blocked[0]], blocked[1])
    counts = upstream_counts(dag, task, state_of)
    verdict = evaluate(task.trigger_rule, counts)
    if verdict == Verdict.WAIT or (blocked is not None and verdict == Verdict.RUN):
        return None
    if counts.total == 0:
        reason = "no upstream tasks"
    else:
        reason = f"trigger rule {task.trigger_rule} gives {verdict}: {counts}"
    return Transition(task.task_id, T.NONE, _VERDICT_STATE[verdict], reason)


def _run_state(dag: DagSpec, state_of: Callable[[str], TaskState]) -> RunState | None:
    """Airflow's rule: once every task is finished, the run failed if a leaf task failed or
    is upstream_failed, and succeeded otherwise; teardowns are not leaves for this unless
    they have ``on_failure_fail_dagrun`` (``DagSpec.run_state_leaves``)."""
    if any(state_of(task_id) not in FINISHED_TASK_STATES for task_id in dag.tasks):
        return None
    if any(state_of(leaf) in _FAILED_LEAF for leaf in dag.run_state_leaves):
        return RunState.FAILED
    return RunState.SUCCESS
