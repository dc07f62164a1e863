"""The previous run of a DAG and its task states: what ``depends_on_past`` looks at.

Two indexed queries (``dag_run`` by dag_id and logical_date, ``task_instance`` by run),
made when the Engine starts mirroring a run of a DAG that has ``depends_on_past`` tasks.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from scheduler.states import TaskState
from scheduler.store.models import dag_run_table, task_instance_table

# Runs of `baton dags test` stand alone: they are nobody's previous run.
_NEVER_PREVIOUS = ("test",)


def previous_run(
    session: Session, dag_id: str, logical_date: datetime, *, scheduled_only: bool
) -> tuple[int, str] | None:
    """``(pk, run_id)`` of the run of ``dag_id`` with the latest logical date before
    ``logical_date``; ``scheduled_only`` leaves manual runs out (Airflow's rule for a DAG
    with catchup). None: there is none."""
    runs = dag_run_table
    excluded = _NEVER_PREVIOUS + (("manual",) if scheduled_only else ())
    query = (
        select(runs.c.id, runs.c.run_id)
        .where(
            runs.c.dag_id == dag_id,
            runs.c.logical_date < logical_date,
            runs.c.run_type.not_in(excluded),
        )
        .order_by(runs.c.logical_date.desc())
        .limit(1)
    )
    row = session.execute(query).first()
    return (row[0], row[1]) if row is not None else None


def task_state_counts(
    session: Session, run_pk: int, task_ids: Iterable[str]
) -> dict[str, Counter[TaskState]]:
    """How many instances of each of ``task_ids`` the run has in each state; a task with no
    instance in the run is left out."""
    tis = task_instance_table
    query = (
        select(tis.c.task_id, tis.c.state, func.count())
        .where(tis.c.dag_run_id == run_pk, tis.c.task_id.in_(list(task_ids)))
        .group_by(tis.c.task_id, tis.c.state)
    )
    counts: dict[str, Counter[TaskState]] = {}
    for task_id, state, count in session.execute(query):
        counts.setdefault(task_id, Counter())[TaskState(state)] += count
    return counts
