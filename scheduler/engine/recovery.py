"""Recovery: tries whose worker is gone are failed, then retried per their policy."""

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
    change_task_states(session, changes, source=source, now=now)
    for change in changes:
        log.warning(
            "%s/%s/%s try %s: %s -> %s",
            change.dag_id,
            change.run_id,
            change.task_id,
            change.try_number,
            reason,
            change.new,
        )
    return len(changes)


def _fail(
    session: Session, row: TaskInstanceRow, spec: DagSpec | None, reason: str, now: datetime
) -> TaskChange:
    key = TryKey(row.dag_id, row.run_id, row.task_id, row.try_number)
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
    )


def _append_to_log(session: Session, key: TryKey, line: str) -> None:
    path = session.scalar(
        select(TaskTryRow.log_path).where(
            TaskTryRow.dag_id == key.dag_id,
            TaskTryRow.run_id == key.run_id,
            TaskTryRow.task_id == key.task_id,
            TaskTryRow.try_number == key.try_number,
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
