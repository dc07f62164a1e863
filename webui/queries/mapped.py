"""Mapped task instances, counted and paged in SQL: a run may hold 10,000 instances of one
task, so no page or API answer loads them all.

``instance_counts`` gives, per (run, task), how many instances are in each state (one
``GROUP BY``); ``MappedSummary`` turns those counts into what the grid and graph show (the
aggregate state, "success 5/6, failed 1"); ``instances_page`` reads one page of a task's
instances in map_index order, ``mapped_summary`` their counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from scheduler.paging import Page
from scheduler.store.models import TaskInstanceRow, task_instance_table
from webui.charts.group_state import STATE_PRIORITY, group_state

_RANK = {state: i for i, state in enumerate(STATE_PRIORITY)}


@dataclass(frozen=True)
class MappedSummary:
    """The instances of one task in one run: ``counts`` per state,
    ``mapped`` whether they are expanded instances (map_index >= 0) or the single unmapped
    row (-1: an unmapped task, or a mapped one not expanded yet or expanded into nothing)."""

    counts: Mapping[str, int]
    mapped: bool
    try_number: int  # the highest try among the instances

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def state(self) -> str:
        """The most telling state (the task-group helper's order: failures first)."""
        return group_state(self.counts) or "none"

    def text(self) -> str:
        """ "success 5/6, failed 1": the commonest state with the total, then the others."""
        ordered = sorted(self.counts.items(), key=lambda kv: (-kv[1], _RANK.get(kv[0], 99)))
        parts = [f"{state.replace('_', ' ')} {n}" for state, n in ordered]
        if parts:
            parts[0] += f"/{self.total}"
        return ", ".join(parts)


def instance_counts(
    session: Session, run_pks: Sequence[int], task_ids: Iterable[str] | None = None
) -> dict[tuple[int, str], MappedSummary]:
    """``(run pk, task_id) -> MappedSummary`` for every task instance of those runs, counted
    in the database (a few rows per task, however many instances it has)."""
    if not run_pks:
        return {}
    ti = task_instance_table.c
    query = select(
        ti.dag_run_id,
        ti.task_id,
        ti.state,
        func.count(),
        func.max(ti.try_number),
        func.max(ti.map_index),
    ).where(ti.dag_run_id.in_(list(run_pks)))
    if task_ids is not None:
        query = query.where(ti.task_id.in_(list(task_ids)))
    query = query.group_by(ti.dag_run_id, ti.task_id, ti.state)
    counts: dict[tuple[int, str], dict[str, int]] = {}
    tries: dict[tuple[int, str], int] = {}
    mapped: dict[tuple[int, str], bool] = {}
    for pk, task_id, state, n, top_try, top_index in session.execute(query):
        key = (pk, task_id)
        counts.setdefault(key, {})[state] = n
        tries[key] = max(tries.get(key, 0), top_try or 0)
        mapped[key] = mapped.get(key, False) or (top_index is not None and top_index >= 0)
    return {key: MappedSummary(counts[key], mapped[key], tries[key]) for key in counts}


def instances_page(
    session: Session,
    run: tuple[str, str],
    task_id: str,
    window: Page[Any],
    *,
    states: Sequence[str] = (),
) -> Page[TaskInstanceRow]:
    """The ``window`` of the expanded instances (map_index >= 0) of a task in the run
    ``(dag_id, run_id)``, in map_index order; ``states`` keeps only those states. Filtered
    on the instance key's unique index, so a late page of 10,000 instances stays cheap."""
    dag_id, run_id = run
    ti = TaskInstanceRow
    where = [
        col(ti.dag_id) == dag_id,
        col(ti.run_id) == run_id,
        col(ti.task_id) == task_id,
        col(ti.map_index) >= 0,
    ]
    if states:
        where.append(col(ti.state).in_(list(states)))
    total = session.scalar(select(func.count()).select_from(ti).where(*where)) or 0
    query = select(ti).where(*where).order_by(col(ti.map_index))
    rows = list(session.scalars(query.limit(window.limit).offset(window.offset)))
    return window.filled(rows, total)


def mapped_summary(session: Session, run_pk: int, task_id: str) -> MappedSummary | None:
    """The counts of every expanded instance of the task in the run (unfiltered); None
    while it has none (not expanded yet, or expanded into nothing)."""
    summary = instance_counts(session, [run_pk], [task_id]).get((run_pk, task_id))
    return summary if summary and summary.mapped else None
