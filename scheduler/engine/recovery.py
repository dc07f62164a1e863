"""Recovery: tries whose worker is gone are failed, then retried per their policy.

Compensation tries (sagas) too: a lost one is retried per its compensation's retries, or
its task ends ``compensation_failed``.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.executor import TryKey
from scheduler.planner import after_failure
from scheduler.spec import DagSpec
from scheduler.states import ACTIVE_TASK_STATES, TaskState
from scheduler.store.compensations import (
    COMPENSATE,
    CompensationChange,
    change_compensations,
    compensations_in_flight,
)
from scheduler.store.models import TaskInstanceRow, TaskTryRow
from scheduler.store.transitions import TaskChange, change_task_states

log = logging.getLogger("baton.engine")


def fail_orphaned_tries(
    session: Session,
    *,
    alive_job_ids: Collection[int],
    specs: Mapping[str, DagSpec],
    reason: str,
    source: str,
    now: datetime,
) -> int:
    """Fail every queued/running try not owned by a live scheduler; return how many."""
    rows = session.scalars(
        select(TaskInstanceRow).where(TaskInstanceRow.state.in_(ACTIVE_TASK_STATES))
    ).all()
    orphans = [r for r in rows if r.scheduler_job_id not in alive_job_ids]
    changes = [_fail(session, row, specs.get(row.dag_id), reason, now) for row in orphans]
    lost = [r for r in compensations_in_flight(session) if r.scheduler_job_id not in alive_job_ids]
    outcomes = [_fail_compensation(session, r, specs.get(r.dag_id), reason, now) for r in lost]
    phases = [c for c in outcomes if isinstance(c, CompensationChange)]
    change_compensations(session, phases, source=source, now=now)
    ended = [c for c in outcomes if isinstance(c, TaskChange)]
    change_task_states(session, [*changes, *ended], source=source, now=now)
    for change in [*changes, *outcomes]:
        log.warning(
            "%s/%s/%s try %s: %s -> %s",
            change.dag_id,
            change.run_id,
            change.task_id,
            change.try_number,
            reason,
            change.new,
        )
    return len(orphans) + len(lost)


def _fail(
    session: Session, row: TaskInstanceRow, spec: DagSpec | None, reason: str, now: datetime
) -> TaskChange:
    key = TryKey(row.dag_id, row.run_id, row.task_id, row.try_number, False, row.map_index)
    task = spec.tasks.get(row.task_id) if spec else None
    if task is None:
        new_state, retry_at = TaskState.FAILED, None
    else:
        counted = row.try_number - row.retry_base
        new_state, retry_at = after_failure(task, counted, now, True, key.idempotency_key)
    _append_to_log(session, key, f"ERROR - {reason}; the try is marked {new_state}")
    return TaskChange(
        row.dag_id,
        row.run_id,
        row.task_id,
        TaskState(row.state),
        new_state,
        row.try_number,
        values={"end_date": now, "next_retry_at": retry_at, "error": reason},
        try_values={"state": TaskState.FAILED, "end_date": now, "error": reason},
        detail=reason,
        map_index=row.map_index,
    )


def _fail_compensation(
    session: Session, row: TaskInstanceRow, spec: DagSpec | None, reason: str, now: datetime
) -> CompensationChange | TaskChange:
    number = row.compensation_try_number
    key = TryKey(row.dag_id, row.run_id, row.task_id, number, True)
    task = spec.tasks.get(row.task_id) if spec else None
    try_values = {"state": TaskState.FAILED, "end_date": now, "error": reason}
    if task is not None:
        counted = number - row.compensation_retry_base
        new, retry_at = after_failure(
            task.compensation or task, counted, now, True, key.idempotency_key
        )
    else:
        new, retry_at = TaskState.FAILED, None
    _append_to_log(session, key, f"ERROR - {reason}; the compensation try is marked {new}")
    if new == TaskState.UP_FOR_RETRY:
        return CompensationChange(
            row.dag_id,
            row.run_id,
            row.task_id,
            TaskState(row.compensation_state),
            new,
            number,
            values={"next_retry_at": retry_at, "error": reason},
            try_values=try_values,
            detail=reason,
        )
    return TaskChange(
        row.dag_id,
        row.run_id,
        row.task_id,
        TaskState.COMPENSATING,
        TaskState.COMPENSATION_FAILED,
        number,
        values={"compensation_state": TaskState.FAILED, "next_retry_at": None, "error": reason},
        try_values=try_values,
        detail=reason,
        try_kind=COMPENSATE,
    )


def _append_to_log(session: Session, key: TryKey, line: str) -> None:
    path = session.scalar(
        select(TaskTryRow.log_path).where(
            TaskTryRow.dag_id == key.dag_id,
            TaskTryRow.run_id == key.run_id,
            TaskTryRow.task_id == key.task_id,
            TaskTryRow.map_index == key.map_index,
            TaskTryRow.try_number == key.try_number,
            TaskTryRow.kind == (COMPENSATE if key.compensation else "task"),
        )
    )
    if not path:
        return
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(f"[{datetime.now().astimezone().isoformat()}] {line}\n")
    except OSError as exc:  # a log we cannot write must not stop recovery
        log.warning("cannot append to %s: %s", path, exc)
