"""Expanding a mapped task: its unexpanded instance becomes instances 0..n-1, in one go."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, update
from sqlalchemy.orm import Session

from scheduler.errors import ConcurrentChangeError
from scheduler.spec import UNMAPPED, DagSpec
from scheduler.states import TaskState
from scheduler.store.events import Event, append_events
from scheduler.store.models import task_instance_table


def expand_task(
    session: Session,
    spec: DagSpec,
    run_pk: int,
    run_id: str,
    task_id: str,
    length: int,
    state: TaskState,
    *,
    reason: str,
    source: str,
    now: datetime,
) -> None:
    """Turn the ``none`` instance (map_index -1) of ``task_id`` into instance 0 and add
    instances 1..length-1, all in ``state``; one event records the expansion."""
    table = task_instance_table
    task = spec.tasks[task_id]
    result = session.connection().execute(
        update(table)
        .where(
            table.c.dag_id == spec.dag_id,
            table.c.run_id == run_id,
            table.c.task_id == task.task_id,
            table.c.map_index == UNMAPPED,
            table.c.state == TaskState.NONE,
        )
        .values(map_index=0, state=state)
    )
    if result.rowcount != 1:
        raise ConcurrentChangeError(
            f"task {spec.dag_id}/{run_id}/{task.task_id} was no longer an unexpanded 'none' "
            "instance when expanding it (changed concurrently?)"
        )
    if length > 1:
        session.connection().execute(
            insert(table),
            [
                {
                    "dag_run_id": run_pk,
                    "dag_id": spec.dag_id,
                    "run_id": run_id,
                    "task_id": task.task_id,
                    "map_index": map_index,
                    "operator": task.operator,
                    "state": state,
                    "max_tries": task.retries + 1,
                    "priority_weight": task.priority_weight,
                }
                for map_index in range(1, length)
            ],
        )
    event = Event(
        "task_expanded",
        now,
        source,
        dag_id=spec.dag_id,
        run_id=run_id,
        task_id=task.task_id,
        old_state=TaskState.NONE,
        new_state=state,
        detail=reason,
    )
    append_events(session, [event])
