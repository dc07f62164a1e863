"""User actions on task instances: clear (run again) and mark (set an outcome by hand).

They are written here, outside the scheduler, and the run's ``version`` is bumped so that
the scheduler reloads the run and acts on the change (dispatching cleared tasks, stopping a
try that was marked failed while it ran).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from scheduler.errors import BatonError, TaskNotFoundError
from scheduler.setup_scope import clear_scope
from scheduler.spec import DagSpec
from scheduler.states import (
    ACTIVE_TASK_STATES,
    FINISHED_RUN_STATES,
    RunState,
    TaskState,
)
from scheduler.store.events import Event, append_events
from scheduler.store.models import TaskInstanceRow, dag_run_table
from scheduler.store.runs import get_run, list_task_instances
from scheduler.store.transitions import TaskChange, change_run_state, change_task_states
from scheduler.store.triggers import DEFERRAL_COLUMNS_CLEARED

MARKABLE = {TaskState.SUCCESS, TaskState.FAILED}


def clear_tasks(
    session: Session,
    spec: DagSpec,
    run_id: str,
    task_ids: Sequence[str],
    *,
    downstream: bool = False,
    source: str,
    now: datetime,
    map_indexes: Sequence[int] | None = None,
) -> list[str]:
    """Reset tasks (and optionally everything downstream) to run again; return their ids.
    The setups a cleared task needs and their teardowns are cleared with it (Airflow).
    Every instance of a mapped task is cleared, or only ``map_indexes`` of the named tasks."""
    targets = _known(spec, clear_scope(spec, task_ids, downstream))
    tis = _instances(session, spec.dag_id, run_id, targets, task_ids, map_indexes)
    busy = sorted({ti.task_id for ti in tis if ti.state in ACTIVE_TASK_STATES})
    if busy:
        raise BatonError(
            f"task(s) {', '.join(busy)} of run '{run_id}' are still running; wait for them "
            "or mark them failed first, then clear"
        )
    changes = [
        TaskChange(
            spec.dag_id,
            run_id,
            ti.task_id,
            TaskState(ti.state),
            TaskState.NONE,
            ti.try_number,
            values={
                "retry_base": ti.try_number,
                "lost_count": 0,
                "next_retry_at": None,
                "error": None,
                **DEFERRAL_COLUMNS_CLEARED,  # a cleared deferred task starts from execute
            },
            detail="cleared by a user",
            map_index=ti.map_index,
        )
        for ti in tis
        if ti.state != TaskState.NONE
    ]
    change_task_states(session, changes, source=source, now=now)
    _reopen_run(session, spec.dag_id, run_id, source, now, f"cleared {', '.join(targets)}")
    return list(dict.fromkeys(c.task_id for c in changes))


def mark_tasks(
    session: Session,
    spec: DagSpec,
    run_id: str,
    task_ids: Sequence[str],
    state: str,
    *,
    source: str,
    now: datetime,
    map_indexes: Sequence[int] | None = None,
) -> list[str]:
    """Set tasks to ``success`` or ``failed`` by hand; return the ones that changed
    (every instance of a mapped task, or only ``map_indexes``)."""
    new = TaskState(state)
    if new not in MARKABLE:
        raise BatonError(f"tasks can be marked success or failed, not {state!r}")
    targets = _known(spec, task_ids)
    tis = _instances(session, spec.dag_id, run_id, targets, targets, map_indexes)
    changes = [
        TaskChange(
            spec.dag_id,
            run_id,
            ti.task_id,
            TaskState(ti.state),
            new,
            ti.try_number,
            values={"end_date": now, "next_retry_at": None},
            # A try that was running ends here too: the scheduler stops it, and its late
            # outcome no longer changes the instance (the tries table must not say running).
            try_values=_ended_try(ti.state, new, now),
            detail=f"marked {new} by a user",
            map_index=ti.map_index,
        )
        for ti in tis
        if ti.state != new
    ]
    change_task_states(session, changes, source=source, now=now)
    _reopen_run(session, spec.dag_id, run_id, source, now, f"marked {new}: {', '.join(targets)}")
    return list(dict.fromkeys(c.task_id for c in changes))


def _instances(
    session: Session,
    dag_id: str,
    run_id: str,
    targets: Sequence[str],
    named: Sequence[str],
    map_indexes: Sequence[int] | None,
) -> list[TaskInstanceRow]:
    """The instances of ``targets``; for the ``named`` tasks only ``map_indexes`` if given
    (the downstream tasks a clear reaches are cleared whole)."""
    wanted = set(targets)
    rows = [ti for ti in list_task_instances(session, dag_id, run_id) if ti.task_id in wanted]
    if map_indexes is None:
        return rows
    indexes = set(map_indexes)
    chosen = [ti for ti in rows if ti.task_id not in named or ti.map_index in indexes]
    missing = indexes - {ti.map_index for ti in chosen if ti.task_id in named}
    if missing:
        raise TaskNotFoundError(
            f"task(s) {', '.join(named)} of run '{run_id}' have no instance(s) with map "
            f"index {', '.join(map(str, sorted(missing)))}; see `baton tasks list {dag_id} "
            f"--run-id {run_id}`"
        )
    return chosen


def _known(spec: DagSpec, task_ids: Sequence[str]) -> list[str]:
    unknown = [t for t in task_ids if t not in spec.tasks]
    if unknown:
        raise TaskNotFoundError(
            f"DAG '{spec.dag_id}' has no task(s) {', '.join(unknown)}; "
            f"its tasks: {', '.join(spec.tasks)}"
        )
    if not task_ids:
        raise BatonError("name at least one task to act on")
    return list(dict.fromkeys(task_ids))


def _reopen_run(
    session: Session, dag_id: str, run_id: str, source: str, now: datetime, detail: str
) -> None:
    """Queue a finished run again and bump its version so the scheduler reloads it."""
    run = get_run(session, dag_id, run_id)
    if run.state in FINISHED_RUN_STATES:
        change_run_state(
            session,
            dag_id,
            run_id,
            RunState(run.state),
            RunState.QUEUED,
            source=source,
            now=now,
            values={"end_date": None},
            detail=detail,
        )
    session.execute(
        update(dag_run_table)
        .where(dag_run_table.c.dag_id == dag_id, dag_run_table.c.run_id == run_id)
        .values(version=dag_run_table.c.version + 1)
    )
    append_events(
        session, [Event("user_action", now, source, dag_id=dag_id, run_id=run_id, detail=detail)]
    )


def _ended_try(old: str, new: TaskState, now: datetime) -> dict[str, object]:
    if old not in ACTIVE_TASK_STATES:
        return {}
    return {"state": new, "end_date": now, "error": f"stopped: the task was marked {new}"}
