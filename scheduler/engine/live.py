"""The Engine's in-memory mirror of the runs it is driving.

The database is the truth; this mirror lets the Engine decide without re-reading it on every
event. It is rebuilt from the database at start and whenever a transaction fails.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from scheduler.planner import TaskView
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
    tasks: dict[str, TaskView] = field(default_factory=dict)
    # Tasks whose readiness may have changed since the last plan; None means "all of them".
    dirty: set[str] | None = None
    next_wakeup: datetime | None = None
    scheduled: set[str] = field(default_factory=set)  # waiting for a slot
    version: int = 0  # the dag_run.version this mirror was loaded at
    retry_base: dict[str, int] = field(default_factory=dict)  # try number at the last clear

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
        )
        for ti in tis:
            if ti.task_id in spec.tasks:
                live.tasks[ti.task_id] = TaskView(
                    TaskState(ti.state), ti.try_number, ti.next_retry_at
                )
                if ti.state == TaskState.SCHEDULED:
                    live.scheduled.add(ti.task_id)
                if ti.retry_base:
                    live.retry_base[ti.task_id] = ti.retry_base
        return live

    def in_flight(self) -> list[tuple[str, int]]:
        """(task_id, try_number) of the tries queued or running."""
        return [
            (task_id, view.try_number)
            for task_id, view in self.tasks.items()
            if view.state in ACTIVE_TASK_STATES
        ]

    def tries_counted(self, task_id: str, try_number: int) -> int:
        """Which try this is since the task was last cleared: what retries count."""
        return try_number - self.retry_base.get(task_id, 0)

    def mark_dirty(self, task_ids: Any) -> None:
        if self.dirty is not None:
            self.dirty.update(task_ids)


class LiveState:
    """Every active run, and how many tries each DAG has in flight."""

    def __init__(self) -> None:
        self.runs: dict[tuple[str, str], LiveRun] = {}
        self.active_tasks: Counter[str] = Counter()  # dag_id -> queued + running

    def add(self, run: LiveRun) -> None:
        self.runs[(run.dag_id, run.run_id)] = run
        self.active_tasks[run.dag_id] += sum(
            1 for view in run.tasks.values() if view.state in ACTIVE_TASK_STATES
        )

    def remove(self, run: LiveRun) -> None:
        if self.runs.pop((run.dag_id, run.run_id), None) is not None:
            self.active_tasks[run.dag_id] -= len(run.in_flight())

    def get(self, dag_id: str, run_id: str) -> LiveRun | None:
        return self.runs.get((dag_id, run_id))

    def set_task(self, run: LiveRun, task_id: str, view: TaskView) -> None:
        """Record a task's new state, keeping the in-flight counter right."""
        old = run.tasks.get(task_id)
        was_active = old is not None and old.state in ACTIVE_TASK_STATES
        is_active = view.state in ACTIVE_TASK_STATES
        self.active_tasks[run.dag_id] += int(is_active) - int(was_active)
        run.tasks[task_id] = view
        if view.state == TaskState.SCHEDULED:
            run.scheduled.add(task_id)
        else:
            run.scheduled.discard(task_id)

    def running_runs(self, dag_id: str) -> int:
        return sum(
            1 for r in self.runs.values() if r.dag_id == dag_id and r.state == RunState.RUNNING
        )
