"""The Engine's in-memory mirror of the runs it is driving.

The database is the truth; this mirror lets the Engine decide without re-reading it on every
event. It is rebuilt from the database at start and whenever a transaction fails.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from scheduler.deferral import Resume
from scheduler.engine.deferral import resume_of
from scheduler.executor import TryKey
from scheduler.planner import UNMAPPED, RunIndex, TaskView, TIKey
from scheduler.spec import DagSpec
from scheduler.states import ACTIVE_TASK_STATES, RunState, TaskState
from scheduler.store.models import DagRunRow, TaskInstanceRow


@dataclass
class LiveRun:
    pk: int
    dag_id: str
    run_id: str
    run_type: str
    state: RunState
    logical_date: datetime
    data_interval_start: datetime
    data_interval_end: datetime
    conf: dict[str, Any]
    spec: DagSpec
    # Every task instance, keyed (task_id, map_index); map_index is -1 unless mapped.
    tasks: dict[TIKey, TaskView] = field(default_factory=dict)
    # Tasks whose readiness may have changed since the last plan; None means "all of them".
    dirty: set[str] | None = None
    next_wakeup: datetime | None = None
    scheduled: set[TIKey] = field(default_factory=set)  # waiting for a slot
    # The scheduled instances as a heap in dispatch order (-priority_weight, declaration
    # order, map_index, task_id); entries no longer scheduled are dropped when popped.
    ready: list[tuple[int, int, int, str]] = field(default_factory=list)
    version: int = 0  # the dag_run.version this mirror was loaded at
    retry_base: dict[TIKey, int] = field(default_factory=dict)  # try number at the last clear
    lost: dict[TIKey, int] = field(default_factory=dict)  # tries lost to the infrastructure
    # Instances whose next try resumes (a deferred task's method, a sensor's next poke).
    resuming: dict[TIKey, Resume] = field(default_factory=dict)
    index: RunIndex = field(default_factory=RunIndex)  # kept by LiveState.set_task
    # For mapping: items in the return value of each finished map source task (or why it
    # cannot be mapped over), see DagSpec.map_sources.
    lengths: dict[str, int | str] = field(default_factory=dict)
    pushed: dict[str, set[int]] = field(default_factory=dict)  # mapped sources' pushers
    # Sagas: the phase view (state = phase, try_number = compensation tries so far) of each
    # compensating task, and per task the compensation try count its retries start from.
    compensations: dict[str, TaskView] = field(default_factory=dict)
    compensation_base: dict[str, int] = field(default_factory=dict)
    start_date: datetime | None = None  # when it went running: dagrun_timeout counts from it
    # depends_on_past: the previous run of the DAG (its run_id; None: this is the first),
    # once looked up (engine/past.py), and its states while it is not in the mirror.
    prev_run_id: str | None = None
    past_resolved: bool = False
    past_snapshot: dict[str, Counter[TaskState]] | None = None
    # task_id -> instances queued or running (max_active_tis_per_dagrun); set by LiveState.
    active_by_task: Counter[str] = field(default_factory=Counter)

    @classmethod
    def from_rows(cls, run: DagRunRow, spec: DagSpec, tis: list[TaskInstanceRow]) -> LiveRun:
        live = cls(
            pk=run.id or 0,
            dag_id=run.dag_id,
            run_id=run.run_id,
            run_type=run.run_type,
            state=RunState(run.state),
            logical_date=run.logical_date,
            data_interval_start=run.data_interval_start,
            data_interval_end=run.data_interval_end,
            conf=run.conf or {},
            spec=spec,
            version=run.version,
            start_date=run.start_date,
        )
        for ti in tis:
            if ti.task_id in spec.tasks:
                key = (ti.task_id, ti.map_index)
                live.tasks[key] = TaskView(TaskState(ti.state), ti.try_number, ti.next_retry_at)
                if ti.state == TaskState.SCHEDULED:
                    live.scheduled.add(key)
                    live.push_ready(key)
                if ti.retry_base:
                    live.retry_base[key] = ti.retry_base
                if ti.lost_count:
                    live.lost[key] = ti.lost_count
                if ti.next_method or ti.next_kwargs:
                    resume = resume_of(ti)
                    if resume is not None:
                        live.resuming[key] = resume
                if ti.compensation_try_number or ti.state == TaskState.COMPENSATING:
                    live._load_compensation(ti)
        live.index = RunIndex.of(live.tasks, spec.tasks)
        return live

    def push_ready(self, key: TIKey) -> None:
        task = self.spec.tasks[key[0]]
        entry = (-task.priority_weight, self.spec.task_index[key[0]], key[1], key[0])
        heapq.heappush(self.ready, entry)

    def pop_ready(self, taken: list[tuple[int, int, int, str]]) -> Iterator[TIKey]:
        """The scheduled instances, best first, popped from ``ready`` into ``taken`` (the
        caller puts back what it did not dispatch): a dispatch costs what it looks at, not
        a sort of every scheduled instance of the run."""
        seen: set[TIKey] = set()
        while self.ready:
            entry = heapq.heappop(self.ready)
            key = (entry[3], entry[2])
            if key not in self.scheduled or key in seen:
                continue  # stale (dispatched, skipped...) or a duplicate entry
            seen.add(key)
            taken.append(entry)
            yield key

    def put_back(self, taken: list[tuple[int, int, int, str]]) -> None:
        for entry in taken:
            if (entry[3], entry[2]) in self.scheduled:
                heapq.heappush(self.ready, entry)

    def unmapped_tasks(self) -> dict[str, TaskView]:
        """The states of the tasks that are not mapped, by task_id (what sagas work on:
        a mapped task cannot have a compensation)."""
        return {key[0]: view for key, view in self.tasks.items() if key[1] == UNMAPPED}

    def instances_of(self, task_id: str) -> list[TIKey]:
        return [(task_id, i) for i in self.index.instances(task_id)]

    def _load_compensation(self, ti: TaskInstanceRow) -> None:
        if ti.state == TaskState.COMPENSATING:
            phase = TaskState(ti.compensation_state or TaskState.SCHEDULED)
            self.compensations[ti.task_id] = TaskView(
                phase, ti.compensation_try_number, ti.next_retry_at
            )
            self.compensation_base[ti.task_id] = ti.compensation_retry_base
        else:  # a later compensation numbers its tries after these
            self.compensation_base[ti.task_id] = ti.compensation_try_number

    def in_flight(self) -> list[TryKey]:
        """The tries queued or running, compensation tries included."""
        keys = [
            TryKey(self.dag_id, self.run_id, task_id, view.try_number, False, map_index)
            for (task_id, map_index), view in self.tasks.items()
            if view.state in ACTIVE_TASK_STATES
        ]
        if self.compensations:
            keys += [
                TryKey(self.dag_id, self.run_id, task_id, view.try_number, True)
                for task_id, view in self.compensations.items()
                if view.state in ACTIVE_TASK_STATES
            ]
        return keys

    def tries_counted(self, key: TIKey, try_number: int) -> int:
        """Which try this is since the task was last cleared: what retries count."""
        return try_number - self.retry_base.get(key, 0)

    def mark_dirty(self, task_ids: Any) -> None:
        if self.dirty is not None:
            self.dirty.update(task_ids)

    def state_counts(self, task_ids: Any) -> dict[str, Counter[TaskState]]:
        """How many instances of each of ``task_ids`` are in each state (a task without any
        instance in this run is left out): what the next run's depends_on_past reads."""
        counts: dict[str, Counter[TaskState]] = {}
        for task_id in task_ids:
            if task_id in self.index.expanded:
                counts[task_id] = Counter(+self.index.counts.get(task_id, Counter()))
            elif (task_id, UNMAPPED) in self.tasks:
                counts[task_id] = Counter({self.tasks[(task_id, UNMAPPED)].state: 1})
        return counts


def pool_of(run: LiveRun, task_id: str, compensation: bool = False) -> tuple[str, int]:
    """The pool and ``pool_slots`` a try of ``task_id`` (or of its compensation) takes."""
    task = run.spec.tasks[task_id]
    if compensation:
        task = task.compensation or task
    return task.pool, task.pool_slots


class LiveState:
    """Every active run, and how many tries each DAG and each pool has in flight."""

    def __init__(self) -> None:
        self.runs: dict[tuple[str, str], LiveRun] = {}
        self.active_tasks: Counter[str] = Counter()  # dag_id -> queued + running
        # pool -> pool slots taken by queued + running tries, and by deferred ones (which
        # count only in pools with include_deferred).
        self.pool_slots: Counter[str] = Counter()
        self.pool_deferred: Counter[str] = Counter()
        # (dag_id, task_id) -> instances queued or running in all runs (max_active_tis_per_dag).
        self.active_by_task: Counter[tuple[str, str]] = Counter()
        # (dag_id, run_id) -> the mirrored runs whose previous run it is (depends_on_past).
        self.next_runs: dict[tuple[str, str], list[LiveRun]] = {}

    def add(self, run: LiveRun) -> None:
        self.runs[(run.dag_id, run.run_id)] = run
        self.active_tasks[run.dag_id] += len(run.in_flight())
        self._count_pools(run, 1)
        run.active_by_task = Counter(
            key[0] for key, view in run.tasks.items() if view.state in ACTIVE_TASK_STATES
        )
        for task_id, count in run.active_by_task.items():
            self.active_by_task[(run.dag_id, task_id)] += count

    def remove(self, run: LiveRun) -> None:
        if self.runs.pop((run.dag_id, run.run_id), None) is not None:
            self.active_tasks[run.dag_id] -= len(run.in_flight())
            self._count_pools(run, -1)
            for task_id, count in run.active_by_task.items():
                self.active_by_task[(run.dag_id, task_id)] -= count
            self._unlink_past(run)

    def link_past(self, run: LiveRun, prev_run_id: str | None) -> None:
        """Record that ``run``'s previous run is ``prev_run_id`` (depends_on_past)."""
        self._unlink_from_prev(run)
        run.prev_run_id, run.past_resolved = prev_run_id, True
        if prev_run_id is not None:
            self.next_runs.setdefault((run.dag_id, prev_run_id), []).append(run)

    def _unlink_past(self, run: LiveRun) -> None:
        """``run`` leaves the mirror: the runs after it keep its final states (a snapshot of
        the mirror, which is ahead of the database until this transaction commits)."""
        self._unlink_from_prev(run)
        for later in self.next_runs.pop((run.dag_id, run.run_id), ()):
            later.past_snapshot = run.state_counts(run.spec.past_dependents)

    def _unlink_from_prev(self, run: LiveRun) -> None:
        if run.past_resolved and run.prev_run_id is not None:
            key = (run.dag_id, run.prev_run_id)
            if key in self.next_runs:  # by identity: LiveRun compares by value
                self.next_runs[key] = [r for r in self.next_runs[key] if r is not run]

    def clear(self) -> None:
        """Forget every run (before rebuilding the mirror from the Store)."""
        self.runs.clear()
        self.active_tasks.clear()
        self.pool_slots.clear()
        self.pool_deferred.clear()
        self.active_by_task.clear()
        self.next_runs.clear()

    def _count_pools(self, run: LiveRun, sign: int) -> None:
        for (task_id, _), view in run.tasks.items():
            self._move_pool(run, task_id, False, None, view.state, sign)
        for task_id, view in run.compensations.items():
            self._move_pool(run, task_id, True, None, view.state, sign)

    def _move_pool(
        self,
        run: LiveRun,
        task_id: str,
        compensation: bool,
        old: TaskState | None,
        new: TaskState | None,
        sign: int = 1,
    ) -> None:
        """Keep the pool counters right when a try goes from ``old`` to ``new``."""
        active = int(new in ACTIVE_TASK_STATES) - int(old in ACTIVE_TASK_STATES)
        deferred = int(new == TaskState.DEFERRED) - int(old == TaskState.DEFERRED)
        if active or deferred:
            pool, slots = pool_of(run, task_id, compensation)
            self.pool_slots[pool] += sign * active * slots
            self.pool_deferred[pool] += sign * deferred * slots

    def get(self, dag_id: str, run_id: str) -> LiveRun | None:
        return self.runs.get((dag_id, run_id))

    def set_task(self, run: LiveRun, key: TIKey, view: TaskView) -> None:
        """Record a task instance's new state, keeping the counters and indexes right."""
        old = run.tasks.get(key)
        was_active = old is not None and old.state in ACTIVE_TASK_STATES
        is_active = view.state in ACTIVE_TASK_STATES
        self.active_tasks[run.dag_id] += int(is_active) - int(was_active)
        if is_active != was_active:
            run.active_by_task[key[0]] += int(is_active) - int(was_active)
            self.active_by_task[(run.dag_id, key[0])] += int(is_active) - int(was_active)
        self._move_pool(run, key[0], False, old.state if old else None, view.state)
        waiting = run.spec.past_dependents.get(key[0]) if run.spec.past_dependents else None
        if waiting:  # the next run's depends_on_past tasks may now run: plan them again
            for later in self.next_runs.get((run.dag_id, run.run_id), ()):
                later.mark_dirty(waiting)
        run.index.record(key, old.state if old is not None else None, view.state)
        run.tasks[key] = view
        if view.state == TaskState.SCHEDULED:
            if key not in run.scheduled:
                run.scheduled.add(key)
                run.push_ready(key)
        else:
            run.scheduled.discard(key)

    def expand(self, run: LiveRun, task_id: str, length: int, state: TaskState) -> None:
        """Mapped ``task_id`` now has instances 0..length-1 in ``state`` instead of its
        unexpanded one (which was ``none``, holding no slot)."""
        old = run.tasks.pop((task_id, UNMAPPED), None)
        if old is not None:
            run.index.remove((task_id, UNMAPPED), old.state)
        run.retry_base.pop((task_id, UNMAPPED), None)
        run.index.expand(task_id, length)
        for map_index in range(length):
            self.set_task(run, (task_id, map_index), TaskView(state))

    def set_compensation(self, run: LiveRun, task_id: str, view: TaskView | None) -> None:
        """Record a compensation's new phase (None: it is over), keeping the counter right."""
        old = run.compensations.get(task_id)
        was_active = old is not None and old.state in ACTIVE_TASK_STATES
        is_active = view is not None and view.state in ACTIVE_TASK_STATES
        self.active_tasks[run.dag_id] += int(is_active) - int(was_active)
        new = view.state if view is not None else None
        self._move_pool(run, task_id, True, old.state if old else None, new)
        if view is None:
            run.compensations.pop(task_id, None)
        else:
            run.compensations[task_id] = view

    def running_runs(self, dag_id: str) -> int:
        return sum(
            1 for r in self.runs.values() if r.dag_id == dag_id and r.state == RunState.RUNNING
        )
