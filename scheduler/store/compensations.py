"""The phases of a compensation while its task is ``compensating`` (sagas, docs/sagas.md).

A compensating task keeps the task state ``compensating`` from the moment its compensation
is scheduled until it is ``compensated`` or ``compensation_failed``; in between, its
compensation goes ``scheduled → queued → running → up_for_retry → scheduled ...`` in
``task_instance.compensation_state``. Each phase change is validated like a task transition
and appended to the event log as a ``compensation_state`` event, in the same transaction.
The final phase comes with the task's own transition (``transitions.change_task_states``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from scheduler.errors import BatonError, ConcurrentChangeError
from scheduler.states import RunState, TaskState, check_compensation_transition
from scheduler.store.events import Event, append_events
from scheduler.store.models import (
    TaskInstanceRow,
    task_instance_table,
    task_try_table,
)
from scheduler.store.runs import get_run, list_task_instances
from scheduler.store.transitions import TaskChange, change_run_state, change_task_states

#: ``task_try.kind`` of a compensation try.
COMPENSATE = "compensate"
#: Phases in which a compensation try holds (or is about to hold) an executor slot.
ACTIVE_PHASES = (TaskState.QUEUED, TaskState.RUNNING)


@dataclass(frozen=True)
class CompensationChange:
    """Move the compensation of one ``compensating`` task from phase ``old`` to ``new``.

    ``values`` are set on the task instance row, ``try_values`` on compensation try
    ``try_number`` (when given).
    """

    dag_id: str
    run_id: str
    task_id: str
    old: TaskState
    new: TaskState
    try_number: int
    values: dict[str, Any] = field(default_factory=dict)
    try_values: dict[str, Any] = field(default_factory=dict)
    detail: str | None = None


def change_compensations(
    session: Session, changes: Sequence[CompensationChange], *, source: str, now: datetime
) -> None:
    """Apply ``changes`` in order; refused if a task is no longer in the expected phase."""
    if not changes:
        return
    connection = session.connection()
    ti = task_instance_table
    for change in changes:
        what = f"compensation of {change.dag_id}/{change.run_id}/{change.task_id}"
        check_compensation_transition(change.old, change.new, what)
        result = connection.execute(
            update(ti)
            .where(
                ti.c.dag_id == change.dag_id,
                ti.c.run_id == change.run_id,
                ti.c.task_id == change.task_id,
                ti.c.state == TaskState.COMPENSATING,
                ti.c.compensation_state == change.old,
            )
            .values(compensation_state=change.new, **change.values)
        )
        if result.rowcount != 1:
            raise ConcurrentChangeError(
                f"{what} was no longer '{change.old}' when moving it to '{change.new}' "
                "(changed concurrently?)"
            )
        if change.try_values:
            _update_try(session, change)
    append_events(session, [_event(c, source, now) for c in changes])


def _update_try(session: Session, change: CompensationChange) -> None:
    tries = task_try_table
    session.connection().execute(
        update(tries)
        .where(
            tries.c.dag_id == change.dag_id,
            tries.c.run_id == change.run_id,
            tries.c.task_id == change.task_id,
            tries.c.kind == COMPENSATE,
            tries.c.try_number == change.try_number,
        )
        .values(**change.try_values)
    )


def _event(change: CompensationChange, source: str, now: datetime) -> Event:
    return Event.of_change("compensation_state", change, source, now)


def compensations_in_flight(session: Session) -> list[TaskInstanceRow]:
    """Task instances whose compensation try is queued or running (for recovery)."""
    query = select(TaskInstanceRow).where(
        col(TaskInstanceRow.state) == TaskState.COMPENSATING,
        col(TaskInstanceRow.compensation_state).in_(ACTIVE_PHASES),
    )
    return list(session.scalars(query))


def compensate_again(
    session: Session, dag_id: str, run_id: str, *, source: str, now: datetime
) -> list[str]:
    """Retry the failed compensations of a ``compensation_failed`` run (after fixing what
    made them fail); return their task ids. The scheduler picks the run up again and, once
    they succeed, undoes the tasks they were blocking."""
    run = get_run(session, dag_id, run_id)
    if run.state != RunState.COMPENSATION_FAILED:
        raise BatonError(
            f"run '{run_id}' of DAG '{dag_id}' is {run.state}; only a compensation_failed "
            "run can be compensated again"
        )
    failed = [
        ti for ti in list_task_instances(session, dag_id, run_id)
        if ti.state == TaskState.COMPENSATION_FAILED
    ]  # fmt: skip
    changes = [
        TaskChange(
            dag_id,
            run_id,
            ti.task_id,
            TaskState.COMPENSATION_FAILED,
            TaskState.COMPENSATING,
            ti.compensation_try_number,
            values={
                "compensation_state": TaskState.SCHEDULED,
                "compensation_retry_base": ti.compensation_try_number,
                "next_retry_at": None,
                "error": None,
            },
            detail="compensation retried by a user",
        )
        for ti in failed
    ]
    change_task_states(session, changes, source=source, now=now)
    detail = f"compensating again: {', '.join(ti.task_id for ti in failed) or 'nothing failed'}"
    change_run_state(
        session,
        dag_id,
        run_id,
        RunState.COMPENSATION_FAILED,
        RunState.COMPENSATING,
        source=source,
        now=now,
        values={"end_date": None, "version": run.version + 1},
        detail=detail,
    )
    return [ti.task_id for ti in failed]
