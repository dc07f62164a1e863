"""The DAG list page: which DAGs match the filters, and a summary of each one's recent runs.

Every DAG row is small (the spec is not read), so filtering by text and tag happens in Python
over a few hundred rows; the run summaries are read only for the DAGs on the page shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session

from scheduler.paging import Page, numbered_page
from scheduler.states import RunState
from scheduler.store.models import dag_run_table, dag_table, import_error_table
from scheduler.timetables import describe

RECENT_RUNS = 12
"""How many of a DAG's latest runs the list shows as state marks."""


@dataclass
class DagSummary:
    dag_id: str
    is_paused: bool
    schedule: str
    tags: list[str]
    description: str | None
    next_run_after: datetime | None
    recent_runs: list[tuple[str, str]] = field(default_factory=list)  # (run_id, state)
    success: int = 0
    failed: int = 0
    active: int = 0

    @property
    def success_rate(self) -> float | None:
        """Successful runs among finished ones, or None before any finished."""
        finished = self.success + self.failed
        return self.success / finished if finished else None


@dataclass(frozen=True)
class DagListFilters:
    search: str = ""
    tag: str = ""
    paused: str = ""  # "" (all) | "active" | "paused"


def dag_list(
    session: Session, filters: DagListFilters, page_number: int | str | None, page_size: int = 25
) -> tuple[Page[DagSummary], list[str]]:
    """The page of DAGs matching ``filters``, and every tag (for the tag filter)."""
    rows = session.execute(
        select(
            dag_table.c.dag_id,
            dag_table.c.is_paused,
            dag_table.c.schedule,
            dag_table.c.tags,
            dag_table.c.description,
            dag_table.c.next_run_after,
        )
        .where(dag_table.c.is_active.is_(True))
        .order_by(dag_table.c.dag_id)
    ).all()
    all_tags = sorted({tag for row in rows for tag in (row.tags or [])})
    matching = [row for row in rows if _matches(row, filters)]
    page = numbered_page(page_number, page_size, len(matching))
    shown = [
        DagSummary(
            dag_id=row.dag_id,
            is_paused=row.is_paused,
            schedule=describe(row.schedule),
            tags=list(row.tags or []),
            description=row.description,
            next_run_after=row.next_run_after,
        )
        for row in matching[page.offset : page.offset + page.limit]
    ]
    _add_run_summaries(session, {d.dag_id: d for d in shown})
    return page.filled(shown, page.total), all_tags


def _matches(row: Row[*tuple[Any, ...]], filters: DagListFilters) -> bool:
    if filters.search and filters.search.lower() not in row.dag_id.lower():
        return False
    if filters.tag and filters.tag not in (row.tags or []):
        return False
    if filters.paused == "paused":
        return bool(row.is_paused)
    if filters.paused == "active":
        return not row.is_paused
    return True


_FAILED_RUN_STATES = (RunState.FAILED, RunState.COMPENSATED, RunState.COMPENSATION_FAILED)


def _add_run_summaries(session: Session, by_id: dict[str, DagSummary]) -> None:
    """Recent run states (one windowed query) and run counts per state (one grouped query)."""
    if not by_id:
        return
    runs = dag_run_table.c
    ranked = (
        select(
            runs.dag_id,
            runs.run_id,
            runs.state,
            func.row_number()
            .over(partition_by=runs.dag_id, order_by=(runs.logical_date.desc(), runs.id.desc()))
            .label("rank"),
        )
        .where(runs.dag_id.in_(list(by_id)))
        .subquery()
    )
    recent = session.execute(
        select(ranked.c.dag_id, ranked.c.run_id, ranked.c.state)
        .where(ranked.c.rank <= RECENT_RUNS)
        .order_by(ranked.c.dag_id, ranked.c.rank.desc())
    )
    for dag_id, run_id, state in recent:
        by_id[dag_id].recent_runs.append((run_id, state))
    counts = session.execute(
        select(runs.dag_id, runs.state, func.count())
        .where(runs.dag_id.in_(list(by_id)))
        .group_by(runs.dag_id, runs.state)
    )
    for dag_id, state, count in counts:
        summary = by_id[dag_id]
        if state == RunState.SUCCESS:
            summary.success = count
        elif state in _FAILED_RUN_STATES:  # a compensated run failed too, then was undone
            summary.failed += count
        elif state in (RunState.QUEUED, RunState.RUNNING, RunState.COMPENSATING):
            summary.active += count


def import_error_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(import_error_table)) or 0
