"""Runs and their task instances: creation and the queries the Engine and CLI need."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import col

from scheduler.errors import BatonError, RunNotFoundError, TaskNotFoundError
from scheduler.spec import DagSpec
from scheduler.states import RunState, TaskState
from scheduler.store import dag_versions
from scheduler.store.deadlines import create_deadlines
from scheduler.store.events import Event, append_events
from scheduler.store.models import (
    DagRunRow,
    TaskInstanceRow,
    TaskTryRow,
    dag_run_table,
    dag_table,
    task_instance_table,
)
from scheduler.store.sqlmodel_boundary import inserted_id

ACTIVE_RUN_STATES = (RunState.QUEUED, RunState.RUNNING, RunState.COMPENSATING)


@dataclass(frozen=True)
class NewRun:
    run_id: str
    run_type: str  # scheduled | manual | test
    logical_date: datetime
    data_interval_start: datetime
    data_interval_end: datetime
    conf: dict[str, Any]
    triggered_by: str | None = None


def create_run(
    session: Session, spec: DagSpec, new: NewRun, *, source: str, now: datetime
) -> DagRunRow:
    """Insert a queued run and one ``none`` task instance per task, in one go."""
    try:
        with session.begin_nested():
            run_pk = inserted_id(
                session,
                insert(dag_run_table).values(
                    dag_id=spec.dag_id,
                    state=RunState.QUEUED,
                    queued_at=now,
                    dag_version_id=dag_versions.latest_version_id(spec.dag_id),
                    **new.__dict__,
                ),
            )
    except IntegrityError:
        raise BatonError(
            f"DAG '{spec.dag_id}' already has a run '{new.run_id}'; choose another run_id"
        ) from None
    session.execute(
        insert(task_instance_table),
        [
            {
                "dag_run_id": run_pk,
                "dag_id": spec.dag_id,
                "run_id": new.run_id,
                "task_id": task.task_id,
                "operator": task.operator,
                "state": TaskState.NONE,
                "max_tries": task.retries + 1,
                "priority_weight": task.priority_weight,
            }
            for task in spec.tasks.values()
        ],
    )
    create_deadlines(session, spec, new.run_id, new.logical_date, now)
    event = Event(
        "run_created",
        now,
        source,
        dag_id=spec.dag_id,
        run_id=new.run_id,
        new_state=RunState.QUEUED,
        detail=new.run_type,
    )
    append_events(session, [event])
    return session.get_one(DagRunRow, run_pk)


def get_run(session: Session, dag_id: str, run_id: str) -> DagRunRow:
    row = session.scalar(
        select(DagRunRow).where(col(DagRunRow.dag_id) == dag_id, col(DagRunRow.run_id) == run_id)
    )
    if row is None:
        raise RunNotFoundError(
            f"DAG '{dag_id}' has no run '{run_id}'; list its runs with `baton runs list {dag_id}`"
        )
    return row


def active_runs(
    session: Session,
    run_types: Sequence[str] | None = None,
    *,
    owner: int | None = None,
    exclude_run_types: Sequence[str] = (),
) -> list[DagRunRow]:
    """Runs queued, running or compensating; ``owner``: only those of the DAGs that
    scheduler job owns (store/ownership.py)."""
    query = (
        select(DagRunRow)
        .where(col(DagRunRow.state).in_(ACTIVE_RUN_STATES))
        .order_by(col(DagRunRow.logical_date), col(DagRunRow.id))
    )
    if run_types is not None:
        query = query.where(col(DagRunRow.run_type).in_(run_types))
    if exclude_run_types:
        query = query.where(col(DagRunRow.run_type).not_in(exclude_run_types))
    if owner is not None:
        query = query.join(dag_table, dag_table.c.dag_id == col(DagRunRow.dag_id)).where(
            dag_table.c.scheduler_job_id == owner
        )
    return list(session.scalars(query))


def task_instances_of_runs(session: Session, run_pks: Sequence[int]) -> list[TaskInstanceRow]:
    if not run_pks:
        return []
    query = select(TaskInstanceRow).where(col(TaskInstanceRow.dag_run_id).in_(run_pks))
    return list(session.scalars(query))


def count_active_runs(session: Session, dag_id: str) -> int:
    query = select(func.count()).where(
        dag_run_table.c.dag_id == dag_id, dag_run_table.c.state.in_(ACTIVE_RUN_STATES)
    )
    return session.scalar(query) or 0


def list_runs(
    session: Session,
    dag_id: str | None = None,
    *,
    state: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[DagRunRow]:
    query = select(DagRunRow).order_by(col(DagRunRow.id).desc()).limit(limit).offset(offset)
    if dag_id is not None:
        query = query.where(col(DagRunRow.dag_id) == dag_id)
    if state is not None:
        query = query.where(col(DagRunRow.state) == state)
    return list(session.scalars(query))


def list_task_instances(session: Session, dag_id: str, run_id: str) -> list[TaskInstanceRow]:
    get_run(session, dag_id, run_id)
    query = (
        select(TaskInstanceRow)
        .where(col(TaskInstanceRow.dag_id) == dag_id, col(TaskInstanceRow.run_id) == run_id)
        .order_by(col(TaskInstanceRow.id))
    )
    return in_task_order(session.scalars(query))


def in_task_order(rows: Iterable[TaskInstanceRow]) -> list[TaskInstanceRow]:
    """Task instances in the order their tasks were created, a mapped task's instances
    together in map_index order (instances 1..n-1 are inserted after the other tasks)."""
    rows = list(rows)
    first: dict[str, int] = {}
    for position, row in enumerate(rows):
        first.setdefault(row.task_id, position)
    return sorted(rows, key=lambda row: (first[row.task_id], row.map_index))


def get_task_instance(
    session: Session, dag_id: str, run_id: str, task_id: str, map_index: int = -1
) -> TaskInstanceRow:
    row = session.scalar(
        select(TaskInstanceRow).where(
            col(TaskInstanceRow.dag_id) == dag_id,
            col(TaskInstanceRow.run_id) == run_id,
            col(TaskInstanceRow.task_id) == task_id,
            col(TaskInstanceRow.map_index) == map_index,
        )
    )
    if row is None:
        get_run(session, dag_id, run_id)  # names the run if that is what is missing
        raise TaskNotFoundError(_no_instance(session, dag_id, run_id, task_id, map_index))
    return row


def has_task(session: Session, dag_id: str, run_id: str, task_id: str) -> bool:
    """Whether the run has any instance of ``task_id`` (mapped or not)."""
    query = select(col(TaskInstanceRow.id)).where(
        col(TaskInstanceRow.dag_id) == dag_id,
        col(TaskInstanceRow.run_id) == run_id,
        col(TaskInstanceRow.task_id) == task_id,
    )
    return session.scalar(query.limit(1)) is not None


def _no_instance(session: Session, dag_id: str, run_id: str, task_id: str, map_index: int) -> str:
    """Why there is no such task instance, and what to ask for instead."""
    indexes = list(
        session.scalars(
            select(col(TaskInstanceRow.map_index)).where(
                col(TaskInstanceRow.dag_id) == dag_id,
                col(TaskInstanceRow.run_id) == run_id,
                col(TaskInstanceRow.task_id) == task_id,
            )
        )
    )
    if not indexes:
        return (
            f"run '{run_id}' of DAG '{dag_id}' has no task '{task_id}'; see "
            f"`baton tasks list {dag_id}`"
        )
    if map_index < 0:
        return (
            f"task '{task_id}' of run '{run_id}' is mapped into {len(indexes)} instances; "
            f"name one with --map-index 0..{max(indexes)}"
        )
    return (
        f"task '{task_id}' of run '{run_id}' has no mapped instance {map_index}; its "
        f"map indexes are 0..{max(indexes)}"
        if max(indexes) >= 0
        else f"task '{task_id}' of run '{run_id}' is not mapped; leave out the map index"
    )


def list_tries(
    session: Session,
    dag_id: str,
    run_id: str,
    task_id: str,
    kind: str = "task",
    map_index: int = -1,
) -> list[TaskTryRow]:
    """The task's tries, or with ``kind="compensate"`` its compensation tries (sagas)."""
    query = (
        select(TaskTryRow)
        .where(
            col(TaskTryRow.dag_id) == dag_id,
            col(TaskTryRow.run_id) == run_id,
            col(TaskTryRow.task_id) == task_id,
            col(TaskTryRow.map_index) == map_index,
            col(TaskTryRow.kind) == kind,
        )
        .order_by(col(TaskTryRow.try_number))
    )
    return list(session.scalars(query))
