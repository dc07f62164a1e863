"""Readiness of one DAG run: which task instances to schedule, skip, fail, retry or expand,
and the run's end.

Pure: the caller reads the task instance states, calls ``plan_run`` with the clock, writes
the transitions and expansions it gets back (each one legal in ``scheduler.states``) and
sleeps until ``next_wakeup`` or the next task event. A task instance is ``(task_id,
map_index)``; ``map_index`` is -1 for a task that is not mapped, and for a mapped task until
it is expanded into instances 0..n-1 (Airflow's model).

Cost: the trigger rules of the candidate tasks (plus the cascade they start), each upstream
task counted in O(1) through the ``RunIndex`` however many instances it has, so the engine
can plan on every completion.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from scheduler.errors import TaskNotFoundError
from scheduler.planner.mapping import MAX_MAP_LENGTH, Lengths, mapped_length
from scheduler.planner.past import PastStates, past_blocks
from scheduler.planner.run_index import UNMAPPED, RunIndex, TIKey
from scheduler.planner.teardowns import setup_constraint, upstream_counts
from scheduler.planner.trigger_rules import UpstreamCounts, Verdict, evaluate
from scheduler.spec import DagSpec, TaskSpec
from scheduler.states import FINISHED_TASK_STATES, RunState, TaskState

T = TaskState
_VERDICT_STATE = {
    Verdict.RUN: T.SCHEDULED,
    Verdict.SKIP: T.SKIPPED,
    Verdict.UPSTREAM_FAILED: T.UPSTREAM_FAILED,
}


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
    map_index: int = UNMAPPED

    @property
    def key(self) -> TIKey:
        return (self.task_id, self.map_index)


@dataclass(frozen=True, slots=True)
class Expansion:
    """Mapped task ``task_id`` becomes ``length`` instances (0..length-1) in ``state``; its
    unexpanded instance (map_index -1) is gone. ``state`` is ``scheduled`` for a mapped
    task, ``none`` inside a mapped task group (each instance then waits for its upstream
    instance of the same index)."""

    task_id: str
    length: int
    state: TaskState
    reason: str


@dataclass(frozen=True)
class RunPlan:
    transitions: list[Transition] = field(default_factory=list)
    next_wakeup: datetime | None = None  # earliest retry still waiting; None if nothing waits
    run_state: RunState | None = None  # SUCCESS/FAILED once every task instance is finished
    expansions: list[Expansion] = field(default_factory=list)

    @property
    def to_schedule(self) -> list[TIKey]:
        """Instances that became ``scheduled``, in topological order after due retries."""
        keys = [t.key for t in self.transitions if t.new_state == T.SCHEDULED]
        for expansion in self.expansions:
            if expansion.state == T.SCHEDULED:
                keys += [(expansion.task_id, i) for i in range(expansion.length)]
        return keys


def plan_run(
    dag: DagSpec,
    states: Mapping[TIKey, TaskView],
    now: datetime,
    candidates: Iterable[str] | None = None,
    *,
    index: RunIndex | None = None,
    lengths: Lengths | None = None,
    max_map_length: int = MAX_MAP_LENGTH,
    past: PastStates | None = None,
) -> RunPlan:
    """Decide what happens next in one run of ``dag`` at ``now``.

    - ``none`` instances get their trigger rule evaluated: RUN → ``scheduled``, SKIP →
      ``skipped``, UPSTREAM_FAILED → ``upstream_failed``; an instance skipped or failed here
      makes its downstream tasks evaluated too, in topological order, within this call.
    - A mapped task whose trigger rule says RUN expands into one instance per item of its
      inputs (``lengths``: items per source task, from the Engine); zero items skip it, more
      than ``max_map_length`` fail it, an input that cannot be mapped over fails it.
    - ``up_for_retry`` instances whose ``next_retry_at`` has come (or is unset) →
      ``scheduled``; the others set ``next_wakeup``.
    - ``candidates``: evaluate only these tasks' trigger rules (plus the cascade); the engine
      passes the downstream of the tasks that just finished. None evaluates every task.

    ``index`` are the run's indexes (built from ``states`` when not given). Instances
    missing from ``states`` are taken as ``none`` (not created yet). A run without mapped
    tasks may key ``states`` by task_id alone (the tests' shorthand).

    ``past``: the previous run's states, for ``depends_on_past`` / ``wait_for_downstream``
    tasks (``scheduler.planner.past``); None: there is no previous run.
    """
    states = _keyed(states)
    work = _Work(dag, states, index or RunIndex.of(states, dag.tasks), lengths or {})
    work.past = past
    transitions, next_wakeup = _due_retries(dag, states, work.index.retrying, now)
    for transition in transitions:
        work.apply(transition)
    pending = None if candidates is None else _checked_candidates(dag, candidates)
    expansions: list[Expansion] = []
    for step in _cascade(work, pending, max_map_length):
        if isinstance(step, Expansion):
            expansions.append(step)
        else:
            transitions.append(step)
    return RunPlan(transitions, next_wakeup, _run_state(work), expansions)


def _keyed(states: Mapping[Any, TaskView]) -> Mapping[TIKey, TaskView]:
    if states and isinstance(next(iter(states)), str):
        return {(task_id, UNMAPPED): view for task_id, view in states.items()}
    return states


class _Work:
    """The run's states as this plan changes them (an overlay; the inputs stay untouched)."""

    def __init__(
        self, dag: DagSpec, states: Mapping[TIKey, TaskView], index: RunIndex, lengths: Lengths
    ) -> None:
        self.dag, self.states, self.index, self.lengths = dag, states, index, lengths
        self.changed: dict[TIKey, TaskState] = {}
        self.expanded: dict[str, tuple[int, TaskState]] = {}
        self.count_delta: dict[str, Counter[TaskState]] = {}
        self.unfinished_delta = 0
        self.past: PastStates | None = None

    def state(self, key: TIKey) -> TaskState:
        state = self.changed.get(key)
        if state is not None:
            return state
        view = self.states.get(key)
        if view is not None:
            return view.state
        new = self.expanded.get(key[0])
        return new[1] if new is not None and key[1] >= 0 else T.NONE

    def instances(self, task_id: str) -> range | tuple[int]:
        new = self.expanded.get(task_id)
        return range(new[0]) if new is not None else self.index.instances(task_id)

    def task_state(self, task_id: str) -> TaskState:
        """The state of a task that is not mapped (its one instance)."""
        return self.state((task_id, UNMAPPED))

    def is_expanded(self, task_id: str) -> bool:
        return task_id in self.expanded or task_id in self.index.expanded

    def counts(self, task_id: str) -> Counter[TaskState]:
        """How many instances of expanded ``task_id`` are in each state."""
        new = self.expanded.get(task_id)
        base = Counter({new[1]: new[0]}) if new else self.index.counts.get(task_id, Counter())
        delta = self.count_delta.get(task_id)
        return base + delta if delta else base

    def apply(self, transition: Transition) -> None:
        key = transition.key
        self.changed[key] = transition.new_state
        if self.is_expanded(key[0]) and key[1] >= 0:
            delta = self.count_delta.setdefault(key[0], Counter())
            delta[transition.old_state] -= 1
            delta[transition.new_state] += 1
        self.unfinished_delta += _finished(transition.old_state) - _finished(transition.new_state)

    def expand(self, expansion: Expansion) -> None:
        self.expanded[expansion.task_id] = (expansion.length, expansion.state)
        # The unexpanded instance (none, unfinished) becomes `length` unfinished ones.
        self.unfinished_delta += expansion.length - 1

    @property
    def unfinished(self) -> int:
        return self.index.unfinished + self.unfinished_delta


def _finished(state: TaskState) -> int:
    return int(state in FINISHED_TASK_STATES)


def _due_retries(
    dag: DagSpec, states: Mapping[TIKey, TaskView], retrying: Iterable[TIKey], now: datetime
) -> tuple[list[Transition], datetime | None]:
    transitions: list[Transition] = []
    next_wakeup: datetime | None = None
    for key in sorted(retrying):
        view = states.get(key)
        if view is None or key[0] not in dag.tasks:
            continue
        if view.state not in (T.UP_FOR_RETRY, T.UP_FOR_RESCHEDULE):
            continue
        due = view.next_retry_at
        if due is None or due <= now:
            when = "now" if due is None else due.isoformat()
            reason = f"retry delay over (due {when}); try {view.try_number + 1} is next"
            if view.state == T.UP_FOR_RESCHEDULE:  # the same try pokes again (Airflow's)
                reason = f"reschedule date reached (due {when}); the sensor pokes again"
            transitions.append(Transition(key[0], view.state, T.SCHEDULED, reason, key[1]))
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
    work: _Work, pending: set[str] | None, max_map_length: int
) -> Iterator[Transition | Expansion]:
    """Evaluate the ``none`` instances of ``pending`` tasks (None: all) in topological order;
    an instance that becomes skipped or upstream_failed, or a task that expands, adds its
    downstream tasks, which come later in that order. Only the pending tasks are visited,
    so one completion in a run of 10,000 tasks costs its neighbours, not the run."""
    dag = work.dag
    agenda = _Agenda(dag, pending)
    for task_id in agenda:
        task = dag.tasks[task_id]
        if work.is_expanded(task_id) and work.counts(task_id)[T.NONE] <= 0:
            continue  # every instance decided already (the usual case after expanding)
        for map_index in work.instances(task_id):
            if work.state((task_id, map_index)) != T.NONE:
                continue
            if task.mapping is not None and map_index == UNMAPPED:
                step = _decide_unexpanded(work, task, max_map_length)
            else:
                step = _decide(work, task, map_index)
            if step is None:
                continue
            if isinstance(step, Expansion):
                work.expand(step)
            else:
                work.apply(step)
            yield step
            if isinstance(step, Expansion) or step.new_state != T.SCHEDULED:
                agenda.add(dag.downstream[task_id])
        if task.mapping is not None and task_id in work.expanded:
            yield from _decide_instances(work, task, agenda)


class _Agenda:
    """The tasks still to evaluate, handed out in topological order: every task (``pending``
    None) or the pending ones plus those added meanwhile (always further down)."""

    def __init__(self, dag: DagSpec, pending: set[str] | None) -> None:
        self.everything = pending is None
        self.order = dag.topological_order
        self.position = dag.topological_position
        self.queued = set(pending or ())
        self.heap = [(self.position[t], t) for t in self.queued]
        heapq.heapify(self.heap)

    def add(self, task_ids: Iterable[str]) -> None:
        if self.everything:
            return  # the walk visits every task anyway
        for task_id in task_ids:
            if task_id not in self.queued:
                self.queued.add(task_id)
                heapq.heappush(self.heap, (self.position[task_id], task_id))

    def __iter__(self) -> Iterator[str]:
        if self.everything:
            yield from self.order
            return
        while self.heap:
            yield heapq.heappop(self.heap)[1]


def _decide_instances(work: _Work, task: TaskSpec, agenda: _Agenda) -> Iterator[Transition]:
    """The instances of a task that just expanded inside a mapped task group start
    ``none``: decide each against its upstream instances of the same index."""
    length, state = work.expanded[task.task_id]
    if state != T.NONE:
        return
    for map_index in range(length):
        step = _decide(work, task, map_index)
        if step is None:
            continue
        work.apply(step)
        yield step
        if step.new_state != T.SCHEDULED:
            agenda.add(work.dag.downstream[task.task_id])


def _decide(work: _Work, task: TaskSpec, map_index: int) -> Transition | None:
    blocked = setup_constraint(work.dag, task, work.task_state)
    if blocked is not None and blocked[0] != Verdict.WAIT:
        verdict, reason = blocked
        return Transition(task.task_id, T.NONE, _VERDICT_STATE[verdict], reason, map_index)
    counts = _upstream_counts(work, task, map_index)
    counts = upstream_counts(work.dag, task, work.task_state, counts)
    verdict = evaluate(task.trigger_rule, counts)
    if verdict == Verdict.WAIT or (blocked is not None and verdict == Verdict.RUN):
        return None
    if verdict == Verdict.RUN and past_blocks(work.dag, task, work.past) is not None:
        return None  # waits for the previous run (re-planned when that changes)
    if counts.total == 0:
        reason = "no upstream tasks"
    else:
        reason = f"trigger rule {task.trigger_rule} gives {verdict}: {counts}"
    return Transition(task.task_id, T.NONE, _VERDICT_STATE[verdict], reason, map_index)


def _decide_unexpanded(
    work: _Work, task: TaskSpec, max_map_length: int
) -> Transition | Expansion | None:
    """A mapped task not expanded yet: expand it once it may run and its inputs are known.

    In a mapped task group a task expands as soon as the group's inputs are known (each
    instance then waits for its own upstream instances); a plain mapped task expands when
    its trigger rule says RUN, as in Airflow.
    """
    mapping = task.mapping
    assert mapping is not None
    length = mapped_length(mapping, work.lengths)
    in_group = mapping.get("group") is not None
    if length is None or not in_group:
        step = _decide(work, task, UNMAPPED)
        if step is None or step.new_state != T.SCHEDULED:
            return step  # waiting, skipped or upstream_failed as a whole
        if length is None:
            return _unexpanded(task, T.UPSTREAM_FAILED, "the input to map over was not produced")
    if isinstance(length, str):
        return _unexpanded(task, T.FAILED, f"cannot expand: {length}")
    if length == 0:
        return _unexpanded(task, T.SKIPPED, "mapped over an empty input: nothing to run")
    if length > max_map_length:
        return _unexpanded(
            task,
            T.FAILED,
            f"cannot expand into {length} instances: more than max_map_length "
            f"({max_map_length}); map over fewer items or raise BATON_MAX_MAP_LENGTH",
        )
    state = T.NONE if in_group else T.SCHEDULED
    return Expansion(task.task_id, length, state, f"expanded into {length} mapped instances")


def _unexpanded(task: TaskSpec, state: TaskState, reason: str) -> Transition:
    return Transition(task.task_id, T.NONE, state, reason, UNMAPPED)


def _upstream_counts(work: _Work, task: TaskSpec, map_index: int) -> UpstreamCounts:
    """The states of ``task``'s upstream instances: every instance of an upstream task, but
    only the same index of an upstream task in the same mapped task group."""
    states: Counter[TaskState] = Counter()
    group = task.mapping.get("group") if task.mapping else None
    for up in task.upstream:
        if not work.is_expanded(up):
            states[work.state((up, UNMAPPED))] += 1
        elif group is not None and map_index >= 0 and _group_of(work.dag.tasks[up]) == group:
            states[work.state((up, map_index))] += 1
        else:
            states += work.counts(up)
    return UpstreamCounts.from_state_counts(states.items())


def _group_of(task: TaskSpec) -> str | None:
    return task.mapping.get("group") if task.mapping else None


def _run_state(work: _Work) -> RunState | None:
    """Airflow's rule: once every task instance is finished, the run failed if an instance
    of a leaf task failed or is upstream_failed, and succeeded otherwise; teardowns are not
    leaves for this unless they have ``on_failure_fail_dagrun`` (``DagSpec.run_state_leaves``)."""
    if work.unfinished > 0:
        return None
    for leaf in work.dag.run_state_leaves:
        for map_index in work.instances(leaf):
            if work.state((leaf, map_index)) in _FAILED_LEAF:
                return RunState.FAILED
    return RunState.SUCCESS


_FAILED_LEAF = frozenset({T.FAILED, T.UPSTREAM_FAILED})
