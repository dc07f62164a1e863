"""Tasks' recent successful durations, the tries running now, and the tries flagged as
running longer than usual (``long_try``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from scheduler.planner.forecast import HISTORY
from scheduler.states import TaskState
from scheduler.store.models import dag_table, task_instance_table, task_try_table
from scheduler.store.models_timing import long_try_table


def recent_durations(
    session: Session, dag_id: str, task_ids: Iterable[str], limit: int = HISTORY
) -> dict[str, list[float]]:
    """The last ``limit`` successful durations of each task of ``dag_id``, newest first:
    one query, each task's rows read from ``ix_task_try_history``."""
    task_ids = list(task_ids)
    if not task_ids:
        return {}
    t = task_try_table
    newest = func.row_number().over(partition_by=t.c.task_id, order_by=t.c.end_date.desc())
    ranked = (
        select(t.c.task_id, t.c.duration, newest.label("rank"))
        .where(
            t.c.dag_id == dag_id,
            t.c.task_id.in_(task_ids),
            t.c.state == TaskState.SUCCESS,
            t.c.kind == "task",
            t.c.duration.is_not(None),
        )
        .subquery()
    )
    query = (
        select(ranked.c.task_id, ranked.c.duration)
        .where(ranked.c.rank <= limit)
        .order_by(ranked.c.task_id, ranked.c.rank)
    )
    found: dict[str, list[float]] = {}
    for task_id, duration in session.execute(query):
        found.setdefault(task_id, []).append(float(duration))
    return found


@dataclass(frozen=True)
class RunningTry:
    dag_id: str
    run_id: str
    task_id: str
    map_index: int
    try_number: int
    start_date: datetime
    fileloc: str | None


def running_tries(session: Session) -> list[RunningTry]:
    """Every running task instance (``ix_task_instance_state``: as many as run at once)."""
    ti = task_instance_table
    query = (
        select(
            ti.c.dag_id, ti.c.run_id, ti.c.task_id, ti.c.map_index, ti.c.try_number,
            ti.c.start_date, dag_table.c.fileloc,
        )
        .join(dag_table, dag_table.c.dag_id == ti.c.dag_id, isouter=True)
        .where(ti.c.state == TaskState.RUNNING, ti.c.start_date.is_not(None))
    )  # fmt: skip
    return [RunningTry(*row) for row in session.execute(query)]


def flagged(session: Session, tries: Iterable[RunningTry]) -> set[tuple[str, str, str, int, int]]:
    """Which of ``tries`` are flagged already (one query per run)."""
    runs = {(t.dag_id, t.run_id) for t in tries}
    keys: set[tuple[str, str, str, int, int]] = set()
    for dag_id, run_id in runs:
        keys.update(long_tries(session, dag_id, run_id))
    return keys


def flag_long_try(
    session: Session, running: RunningTry, usual_s: float, samples: int, source: str, now: datetime
) -> bool:
    """Insert the try's ``long_try`` row; False when it is flagged already."""
    row = {
        "dag_id": running.dag_id,
        "run_id": running.run_id,
        "task_id": running.task_id,
        "map_index": running.map_index,
        "try_number": running.try_number,
        "usual_s": usual_s,
        "samples": samples,
        "flagged_at": now,
        "source": source,
    }
    try:
        with session.begin_nested():
            session.execute(insert(long_try_table), [row])
    except IntegrityError:
        return False
    return True


def set_long_try_callback(
    session: Session, key: tuple[str, str, str, int, int], state: str, **values: Any
) -> None:
    t = long_try_table
    dag_id, run_id, task_id, map_index, try_number = key
    session.execute(
        update(t)
        .where(
            t.c.dag_id == dag_id, t.c.run_id == run_id, t.c.task_id == task_id,
            t.c.map_index == map_index, t.c.try_number == try_number,
        )
        .values(callback_state=state, **values)
    )  # fmt: skip


def long_tries(
    session: Session, dag_id: str, run_id: str
) -> dict[tuple[str, str, str, int, int], dict]:
    """The run's flagged tries: ``(dag_id, run_id, task_id, map_index, try_number)`` -> row."""
    t = long_try_table
    rows = session.execute(select(t).where(t.c.dag_id == dag_id, t.c.run_id == run_id))
    return {
        (r.dag_id, r.run_id, r.task_id, r.map_index, r.try_number): dict(r._mapping) for r in rows
    }
