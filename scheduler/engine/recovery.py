"""Recovery: tries a gone scheduler left in flight are adopted, or re-run as lost.

A scheduler that takes over a DAG (store/ownership.py) finds the tries its previous owner
dispatched still ``queued`` or ``running``. It asks its executor to adopt them (Airflow's
``try_adopt_task_instances``): a Celery worker that still runs one reports to the new owner
from then on. What cannot be adopted (its worker died with the old scheduler, as a local
executor's do) was lost to the infrastructure, not failed by its task: the Engine re-runs
it at once without using up a retry (``TaskFinished.lost``; capped by
BATON_LOST_TRY_LIMIT). Compensation tries (sagas) take the same path.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from scheduler.engine.driver import RunDriver
from scheduler.executor import Executor, TaskFinished, TryKey
from scheduler.states import TaskState
from scheduler.store import ownership
from scheduler.store.compensations import COMPENSATE
from scheduler.store.models import TaskInstanceRow, TaskTryRow

log = logging.getLogger("baton.engine")


@dataclass(frozen=True)
class Recovered:
    adopted: int
    lost: int


def recover_orphaned_tries(
    session: Session, driver: RunDriver, executor: Executor, job_id: int, now: datetime
) -> Recovered:
    """Adopt or re-run the in-flight tries of this scheduler's DAGs that another scheduler
    dispatched. The runs must be in ``driver``'s mirror already."""
    rows = ownership.orphaned_tries(session, job_id)
    if not rows:
        return Recovered(0, 0)
    by_key = {_key(row): row for row in rows}
    lost = set(executor.try_adopt_task_instances(list(by_key)))
    adopted = [row for key, row in by_key.items() if key not in lost]
    ownership.take_tries(session, adopted, job_id)
    events = []
    for key in sorted(lost):
        row = by_key[key]
        reason = (
            f"the try was lost: scheduler job {row.scheduler_job_id} that dispatched it is "
            "gone, and no worker still runs it"
        )
        _append_to_log(session, key, f"ERROR - {reason}")
        events.append(TaskFinished(key, "failed", row.start_date, now, reason, lost=True))
    driver.apply_events(session, events, now)
    for key in sorted(lost):
        log.warning("%s: lost with its scheduler; re-running it", key.label)
    if adopted:
        log.info("adopted %d try(s) still running on their workers", len(adopted))
    return Recovered(len(adopted), len(lost))


def lost_on_shutdown(keys: list[TryKey], now: datetime) -> list[TaskFinished]:
    """The outcome of tries this scheduler stops with as it shuts down (they cannot survive
    it): lost, so whoever schedules next re-runs them at once."""
    reason = "the try was lost: its scheduler shut down before it finished"
    return [TaskFinished(key, "failed", None, now, reason, lost=True) for key in keys]


def _key(row: TaskInstanceRow) -> TryKey:
    if row.state == TaskState.COMPENSATING:
        return TryKey(row.dag_id, row.run_id, row.task_id, row.compensation_try_number, True)
    return TryKey(row.dag_id, row.run_id, row.task_id, row.try_number, False, row.map_index)


def _append_to_log(session: Session, key: TryKey, line: str) -> None:
    """Say in the try's log why it ended, when that log is on this machine."""
    path = session.scalar(
        select(col(TaskTryRow.log_path)).where(
            col(TaskTryRow.dag_id) == key.dag_id,
            col(TaskTryRow.run_id) == key.run_id,
            col(TaskTryRow.task_id) == key.task_id,
            col(TaskTryRow.map_index) == key.map_index,
            col(TaskTryRow.try_number) == key.try_number,
            col(TaskTryRow.kind) == (COMPENSATE if key.compensation else "task"),
        )
    )
    if not path or not Path(path).parent.is_dir():
        return
    try:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(f"[{datetime.now().astimezone().isoformat()}] {line}\n")
    except OSError as exc:  # a log we cannot write must not stop recovery
        log.warning("cannot append to %s: %s", path, exc)
