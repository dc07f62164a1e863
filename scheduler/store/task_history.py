"""Tasks' recent successful durations, the tries running now, and the tries flagged as
running longer than usual (``long_try``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, insert, select, union_all, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from scheduler.planner.forecast import HISTORY
from scheduler.states import TaskState
from scheduler.store.models import dag_table, task_instance_table, task_try_table
from scheduler.store.models_timing import long_try_table


def recent_durations(
    session: Session, dag_id: str, task_ids: Iterable[str], limit: int = HISTORY
) -> dict[str, list[float]]:
    """The last ``limit`` successful durations of each task of ``dag_id`` (the newest
    ``limit``; their order is the database's, which a percentile does not need).

    One statement per ``_TASKS_PER_QUERY`` tasks: a UNION ALL of one ``ORDER BY end_date
    DESC LIMIT n`` per task, each a short backward range of ``ix_task_try_history``, so the
    cost is ``limit`` rows per task however long the history (a window function over all
    of a DAG's tries took 230 ms for 100 tasks of 300 tries: bench/timing_bench.py)."""
    task_ids = list(dict.fromkeys(task_ids))
    found: dict[str, list[float]] = {}
    for start in range(0, len(task_ids), _TASKS_PER_QUERY):
        chunk = task_ids[start : start + _TASKS_PER_QUERY]
        query = union_all(*(_latest(dag_id, task_id, limit) for task_id in chunk))
        for task_id, duration in session.execute(query):
            found.setdefault(task_id, []).append(float(duration))
    return found


_TASKS_PER_QUERY = 200


def _latest(dag_id: str, task_id: str, limit: int) -> Select[*tuple[Any, ...]]:
    t = task_try_table
    newest = (
        select(t.c.task_id, t.c.duration)
        .where(
            t.c.dag_id == dag_id,
            t.c.task_id == task_id,
            t.c.state == TaskState.SUCCESS,
            t.c.kind == "task",
            t.c.duration.is_not(None),
        )
        .order_by(t.c.end_date.desc())
        .limit(limit)
        .subquery()
    )
    # wrapped: SQLite takes no ORDER BY / LIMIT on a UNION's members themselves
    return select(newest.c.task_id, newest.c.duration)


def task_progress_rows(session: Session, run_pk: int) -> list[tuple[str, str, int, Any]]:
    """``(task_id, state, instances, latest start_date)`` of a run's task instances, counted
    in SQL (``planner.forecast.progress_of``): never the 10,000 rows of a mapped task."""
    ti = task_instance_table
    query = (
        select(ti.c.task_id, ti.c.state, func.count(), func.max(ti.c.start_date))
        .where(ti.c.dag_run_id == run_pk)
        .group_by(ti.c.task_id, ti.c.state)
    )
    return [(task_id, state, int(n), start) for task_id, state, n, start in session.execute(query)]


#: One try of one task instance: (dag_id, run_id, task_id, map_index, try_number).
RunningTryKey = tuple[str, str, str, int, int]


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


def flagged(session: Session, tries: Iterable[RunningTry]) -> set[RunningTryKey]:
    """Which of ``tries`` are flagged already (one query per run)."""
    runs = {(t.dag_id, t.run_id) for t in tries}
    keys: set[RunningTryKey] = set()
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


def set_long_try_callback(session: Session, key: RunningTryKey, state: str, **values: Any) -> None:
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


def long_tries(session: Session, dag_id: str, run_id: str) -> dict[RunningTryKey, dict[str, Any]]:
    """The run's flagged tries: ``(dag_id, run_id, task_id, map_index, try_number)`` -> row."""
    t = long_try_table
    rows = session.execute(select(t).where(t.c.dag_id == dag_id, t.c.run_id == run_id))
    return {
        (r.dag_id, r.run_id, r.task_id, r.map_index, r.try_number): dict(r._mapping) for r in rows
    }
