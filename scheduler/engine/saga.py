"""Sagas in the Engine: compensating a failed run, as docs/sagas.md describes.

The pure decisions are ``scheduler.planner.compensation``; this module turns them into
changes of the in-memory mirror and Store changes, and turns compensation tries' executor
events into outcomes. A compensation is driven like a task: same dispatch, same limits,
retries from its own settings, recovery when its worker or the scheduler is lost. Nothing
here runs for runs of DAGs without compensations.
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from scheduler.engine.live import LiveRun, LiveState
from scheduler.executor import TaskFinished, TaskStarted
from scheduler.planner import TaskView, after_failure, compensable, plan_compensation
from scheduler.spec import UNMAPPED, TaskSpec
from scheduler.states import RunState, TaskState
from scheduler.store.compensations import COMPENSATE, CompensationChange
from scheduler.store.transitions import TaskChange, change_run_state

T = TaskState
#: An executor outcome of a compensation try → the phase it means. A compensation that
#: raises ``BatonSkipException`` had nothing to undo: that counts as compensated.
_SUCCEEDED = {"success", "skipped"}


def should_compensate(run: LiveRun) -> bool:
    """A run that just failed compensates when a succeeded task has a ``compensate``."""
    return run.spec.has_compensations and bool(compensable(run.spec, run.unmapped_tasks()))


def compensation_spec(run: LiveRun, task_id: str) -> TaskSpec:
    """Retries and timeout of ``task_id``'s compensation (the task's own if the DAG changed
    and no longer declares one)."""
    task = run.spec.tasks[task_id]
    return task.compensation or task


def compensation_log_path(task_log_path: Path) -> Path:
    """``.../attempt=N.log`` → ``.../attempt=N.compensate.log``: beside the task's tries."""
    return task_log_path.with_name(task_log_path.name.replace(".log", ".compensate.log"))


class SagaSteps:
    """Applies compensation decisions to one ``LiveState``; returns Store changes."""

    def __init__(self, live: LiveState, source: str, job_id: int | None) -> None:
        self.live = live
        self.source = source
        self.job_id = job_id
        self.lost_try_limit = 3  # BATON_LOST_TRY_LIMIT: the RunDriver sets it

    def begin(self, session: Session, run: LiveRun, now: datetime) -> None:
        """The run failed with something to undo: ``running → compensating``."""
        change_run_state(
            session,
            run.dag_id,
            run.run_id,
            RunState.RUNNING,
            RunState.COMPENSATING,
            source=self.source,
            now=now,
            detail="the run failed; compensating the tasks that succeeded",
        )
        run.state = RunState.COMPENSATING
        run.dirty = None  # plan every compensation once

    # -- planning --------------------------------------------------------------------------
    def plan(
        self, run: LiveRun, now: datetime, stopping: AbstractSet[str] = frozenset()
    ) -> tuple[list[TaskChange], list[CompensationChange], RunState | None]:
        """Start the compensations that may start, reschedule due retries; none starts while
        a try of the run is ``stopping`` (cancelled, its end not reported yet)."""
        tasks, compensations = run.unmapped_tasks(), run.compensations
        plan = plan_compensation(run.spec, tasks, compensations, now, stopping)
        task_changes = [self._start(run, t.task_id, t.old_state, t.reason) for t in plan.to_start]
        phase_changes = [self._retry(run, task_id) for task_id in plan.to_retry]
        run.next_wakeup = plan.next_wakeup
        return task_changes, phase_changes, plan.run_state

    def _start(self, run: LiveRun, task_id: str, old: TaskState, reason: str) -> TaskChange:
        view = run.tasks[(task_id, UNMAPPED)]
        base = run.compensation_base.get(task_id, 0)
        run.compensation_base[task_id] = base
        self.live.set_task(run, (task_id, UNMAPPED), TaskView(T.COMPENSATING, view.try_number))
        self.live.set_compensation(run, task_id, TaskView(T.SCHEDULED, base))
        values = {
            "compensation_state": T.SCHEDULED,
            "compensation_retry_base": base,
            "next_retry_at": None,
        }
        return TaskChange(
            run.dag_id,
            run.run_id,
            task_id,
            old,  # success, or failed with compensate_on_failure
            T.COMPENSATING,
            view.try_number,
            values=values,
            detail=reason,
        )

    def _retry(self, run: LiveRun, task_id: str) -> CompensationChange:
        phase = run.compensations[task_id]
        self.live.set_compensation(run, task_id, TaskView(T.SCHEDULED, phase.try_number))
        return CompensationChange(
            run.dag_id,
            run.run_id,
            task_id,
            T.UP_FOR_RETRY,
            T.SCHEDULED,
            phase.try_number,
            values={"next_retry_at": None},
            detail=f"retry delay over; compensation try {phase.try_number + 1} is next",
        )

    # -- dispatch --------------------------------------------------------------------------
    def queue(
        self, run: LiveRun, task_id: str, number: int, path: Path, now: datetime
    ) -> tuple[CompensationChange, dict[str, Any]]:
        """Queue compensation try ``number``: the phase change and its ``task_try`` row."""
        self.live.set_compensation(run, task_id, TaskView(T.QUEUED, number))
        change = CompensationChange(
            run.dag_id,
            run.run_id,
            task_id,
            T.SCHEDULED,
            T.QUEUED,
            number,
            values={"compensation_try_number": number, "scheduler_job_id": self.job_id},
        )
        row = {
            "dag_id": run.dag_id,
            "run_id": run.run_id,
            "task_id": task_id,
            # Every row of dispatch's batch insert names the same columns; compensations are
            # of unmapped tasks.
            "map_index": UNMAPPED,
            "try_number": number,
            "kind": COMPENSATE,
            "state": T.QUEUED,
            "queued_at": now,
            "log_path": str(path),
        }
        return change, row

    # -- executor events -------------------------------------------------------------------
    def on_event(
        self, run: LiveRun, event: TaskStarted | TaskFinished
    ) -> CompensationChange | TaskChange | None:
        """The change an event of a compensation try makes; None for a stale event."""
        task_id = event.key.task_id
        phase = run.compensations.get(task_id)
        if phase is None or phase.try_number != event.key.try_number:
            return None
        if phase.state not in (T.QUEUED, T.RUNNING):
            return None
        if isinstance(event, TaskStarted):
            return self._started(run, phase, event) if phase.state == T.QUEUED else None
        run.dirty = None  # the saga may move on: plan the whole run
        return self._finished(run, phase, event)

    def _started(self, run: LiveRun, phase: TaskView, event: TaskStarted) -> CompensationChange:
        task_id = event.key.task_id
        self.live.set_compensation(run, task_id, TaskView(T.RUNNING, phase.try_number))
        try_values = {
            "state": T.RUNNING,
            "start_date": event.started_at,
            "pid": event.pid,
            "hostname": event.hostname,
        }
        return CompensationChange(
            run.dag_id,
            run.run_id,
            task_id,
            T.QUEUED,
            T.RUNNING,
            phase.try_number,
            try_values=try_values,
        )

    def _finished(
        self, run: LiveRun, phase: TaskView, event: TaskFinished
    ) -> CompensationChange | TaskChange:
        task_id, number = event.key.task_id, phase.try_number
        try_values = _try_values(event)
        if event.state in _SUCCEEDED:
            return self._end(run, task_id, number, T.COMPENSATED, try_values, event.error)
        values: dict[str, Any] = {}
        retry_at: datetime | None
        if event.lost and run.lost.get((task_id, UNMAPPED), 0) < self.lost_try_limit:
            # Lost to the infrastructure: again at once, its retries not used (recovery.py).
            lost = run.lost[(task_id, UNMAPPED)] = run.lost.get((task_id, UNMAPPED), 0) + 1
            base = run.compensation_base[task_id] = run.compensation_base.get(task_id, 0) + 1
            values = {"lost_count": lost, "compensation_retry_base": base}
            new, retry_at = T.UP_FOR_RETRY, event.ended_at
        else:
            counted = number - run.compensation_base.get(task_id, 0)
            spec = compensation_spec(run, task_id)
            key = event.key.idempotency_key
            new, retry_at = after_failure(spec, counted, event.ended_at, event.retryable, key)
        if new == T.FAILED:
            return self._end(run, task_id, number, T.COMPENSATION_FAILED, try_values, event.error)
        self.live.set_compensation(run, task_id, TaskView(T.UP_FOR_RETRY, number, retry_at))
        return CompensationChange(
            run.dag_id,
            run.run_id,
            task_id,
            phase.state,
            T.UP_FOR_RETRY,
            number,
            values={"next_retry_at": retry_at, "error": event.error, **values},
            try_values=try_values,
            detail=event.error,
        )

    def _end(
        self,
        run: LiveRun,
        task_id: str,
        number: int,
        new: TaskState,
        try_values: dict[str, Any],
        error: str | None,
    ) -> TaskChange:
        self.live.set_compensation(run, task_id, None)
        key = (task_id, UNMAPPED)
        self.live.set_task(run, key, TaskView(new, run.tasks[key].try_number))
        phase = T.SUCCESS if new == T.COMPENSATED else T.FAILED
        return TaskChange(
            run.dag_id,
            run.run_id,
            task_id,
            T.COMPENSATING,
            new,
            number,
            values={"compensation_state": phase, "next_retry_at": None, "error": error},
            try_values=try_values,
            detail=f"compensation try {number}: {error or 'succeeded'}",
            try_kind=COMPENSATE,
        )


def _try_values(event: TaskFinished) -> dict[str, Any]:
    started = event.started_at
    values: dict[str, Any] = {
        "state": T.SUCCESS if event.state in _SUCCEEDED else T.FAILED,
        "end_date": event.ended_at,
        "duration": (event.ended_at - started).total_seconds() if started else None,
        "error": event.error,
    }
    if started is not None:
        values["start_date"] = started
    return values
