"""A DAG's runs: the grid (latest runs by tasks), the run history, one run's task states."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Row, Select, func, select
from sqlalchemy.orm import Session

from scheduler.errors import RunNotFoundError
from scheduler.paging import Page, numbered_page
from scheduler.store.models import (
    dag_run_table,
    task_instance_table,
    task_try_table,
)
from scheduler.store.models_timing import long_try_table
from webui.charts.group_state import group_state
from webui.queries.mapped import MappedSummary, instance_counts

TASK_TRY = "task"
"""``task_try.kind`` of a task's own tries (``compensate``: of its compensation, sagas)."""

GRID_RUNS = 25
"""Runs shown as columns of the grid: enough to see a pattern, few enough to stay fast."""

_RUN_COLUMNS = (
    dag_run_table.c.id,
    dag_run_table.c.run_id,
    dag_run_table.c.run_type,
    dag_run_table.c.state,
    dag_run_table.c.logical_date,
    dag_run_table.c.queued_at,
    dag_run_table.c.start_date,
    dag_run_table.c.end_date,
    dag_run_table.c.triggered_by,
)


@dataclass(frozen=True)
class RunFilters:
    state: str = ""
    since: datetime | None = None  # logical dates from (inclusive)
    until: datetime | None = None  # logical dates before (exclusive)


@dataclass
class Grid:
    runs: list[
        Row[*tuple[Any, ...]]
    ]  # rows of _RUN_COLUMNS, oldest first (left to right, like Airflow's grid)
    cells: dict[tuple[int, str], tuple[str, int]]  # (run pk, task_id) -> (state, try_number)
    # (run pk, task_id) -> the expanded instances of a mapped task (a cell's state is theirs
    # aggregated, its try the highest)
    mapped: dict[tuple[int, str], MappedSummary] = field(default_factory=dict)
    # (run pk, task_id) of the cells whose latest try ran longer than usual (the badge)
    long: frozenset[tuple[int, str]] = frozenset()


def grid(session: Session, dag_id: str, limit: int = GRID_RUNS) -> Grid:
    runs = session.execute(
        select(*_RUN_COLUMNS)
        .where(dag_run_table.c.dag_id == dag_id)
        .order_by(dag_run_table.c.logical_date.desc(), dag_run_table.c.id.desc())
        .limit(limit)
    ).all()
    runs = list(runs)[::-1]
    # Counted per state in SQL: a mapped task's 10,000 instances are a few rows here.
    summaries = instance_counts(session, [r.id for r in runs])
    cells = {key: (summary.state, summary.try_number) for key, summary in summaries.items()}
    mapped = {key: summary for key, summary in summaries.items() if summary.mapped}
    return Grid(runs, cells, mapped, _long_cells(session, dag_id, runs, cells))


def _long_cells(
    session: Session,
    dag_id: str,
    runs: list[Row[*tuple[Any, ...]]],
    cells: dict[tuple[int, str], tuple[str, int]],
) -> frozenset[tuple[int, str]]:
    """The cells whose current try is flagged in ``long_try`` (one indexed query)."""
    pks = {r.run_id: r.id for r in runs}
    if not pks:
        return frozenset()
    t = long_try_table
    rows = session.execute(
        select(t.c.run_id, t.c.task_id, t.c.try_number).where(
            t.c.dag_id == dag_id, t.c.run_id.in_(pks)
        )
    )
    found = set()
    for run_id, task_id, try_number in rows:
        key = (pks[run_id], task_id)
        if key in cells and cells[key][1] == try_number:
            found.add(key)
    return frozenset(found)


def _filtered(
    query: Select[*tuple[Any, ...]], dag_id: str | None, filters: RunFilters
) -> Select[*tuple[Any, ...]]:
    runs = dag_run_table.c
    if dag_id is not None:
        query = query.where(runs.dag_id == dag_id)
    if filters.state:
        query = query.where(runs.state == filters.state)
    if filters.since is not None:
        query = query.where(runs.logical_date >= filters.since)
    if filters.until is not None:
        query = query.where(runs.logical_date < filters.until)
    return query


def run_history(
    session: Session, dag_id: str | None, filters: RunFilters, page_number: int | str | None
) -> Page[Row[Any]]:
    """Runs newest first (of one DAG, or of all), filtered, one page of them."""
    total = session.scalar(
        _filtered(select(func.count()).select_from(dag_run_table), dag_id, filters)
    )
    page = numbered_page(page_number, total=total or 0)
    query = _filtered(select(dag_run_table.c.dag_id, *_RUN_COLUMNS), dag_id, filters)
    rows = session.execute(
        query.order_by(dag_run_table.c.logical_date.desc(), dag_run_table.c.id.desc())
        .limit(page.limit)
        .offset(page.offset)
    ).all()
    return page.filled(list(rows), page.total)


def get_run(session: Session, dag_id: str, run_id: str) -> Row[*tuple[Any, ...]]:
    row = session.execute(
        select(
            *_RUN_COLUMNS,
            dag_run_table.c.conf,
            dag_run_table.c.data_interval_start,
            dag_run_table.c.data_interval_end,
        ).where(dag_run_table.c.dag_id == dag_id, dag_run_table.c.run_id == run_id)
    ).first()
    if row is None:
        raise RunNotFoundError(
            f"DAG '{dag_id}' has no run '{run_id}'; pick one from the DAG's run history"
        )
    return row


def latest_run_id(session: Session, dag_id: str) -> str | None:
    return session.scalar(
        select(dag_run_table.c.run_id)
        .where(dag_run_table.c.dag_id == dag_id)
        .order_by(dag_run_table.c.logical_date.desc(), dag_run_table.c.id.desc())
        .limit(1)
    )


def task_states(session: Session, run_pk: int) -> dict[str, dict[str, Any]]:
    """Each task of a run: what the graph view colours and its live JSON reports. A mapped
    task's expanded instances count as one entry: their aggregate state, highest try and
    ``map_count`` / ``map_summary`` (counted in SQL, however many instances there are)."""
    ti = task_instance_table.c
    rows = session.execute(
        select(
            ti.task_id,
            ti.state,
            ti.try_number,
            ti.start_date,
            ti.end_date,
            ti.duration,
            ti.compensation_state,
        ).where(ti.dag_run_id == run_pk, ti.map_index < 0)
    )
    states = {row.task_id: row._asdict() for row in rows}
    for (_pk, task_id), summary in instance_counts(session, [run_pk]).items():
        if summary.mapped:
            states[task_id] = {
                "task_id": task_id,
                "state": summary.state,
                "try_number": summary.try_number,
                "start_date": None,
                "end_date": None,
                "duration": None,
                "compensation_state": None,
                "map_count": summary.total,
                "map_summary": summary.text(),
            }
    return states


def run_tries(
    session: Session, dag_id: str, run_id: str
) -> list[Row[*tuple[Any, ...]] | MappedTry]:
    """Every try of every task of a run, in start order: the bars of the Gantt chart.

    Only the tasks' own tries: a compensation try is numbered on its own (its try 1 is not
    the task's try 1), so it would be drawn as a try of the task it undoes."""
    tt = task_try_table.c
    own = (tt.dag_id == dag_id, tt.run_id == run_id, tt.kind == TASK_TRY)
    rows = session.execute(
        select(tt.task_id, tt.try_number, tt.state, tt.queued_at, tt.start_date, tt.end_date)
        .where(*own, tt.map_index < 0)
        .order_by(tt.start_date, tt.task_id, tt.try_number)
    ).all()
    return sorted(
        [*rows, *_mapped_tries(session, own)],
        key=lambda t: (t.start_date is None, t.start_date or datetime.min, t.task_id),
    )


def _mapped_tries(session: Session, own: tuple[ColumnElement[bool], ...]) -> list[MappedTry]:
    """A mapped task's tries as one bar per try number: from its instances' first start to
    their last end, in their aggregate state (10,000 instances would be 10,000 bars)."""
    tt = task_try_table.c
    found = session.execute(
        select(
            tt.task_id,
            tt.try_number,
            tt.state,
            func.min(tt.queued_at),
            func.min(tt.start_date),
            func.max(tt.end_date),
            func.count(tt.end_date) < func.count(),  # some instance of the try not ended
        )
        .where(*own, tt.map_index >= 0)
        .group_by(tt.task_id, tt.try_number, tt.state)
    ).all()
    bars: dict[tuple[str, int], MappedTry] = {}
    for task_id, number, state, queued, start, end, open_ in found:
        bar = bars.get((task_id, number))
        if bar is None:
            bars[(task_id, number)] = MappedTry(task_id, number, state, queued, start, end, open_)
            continue
        bars[(task_id, number)] = MappedTry(
            task_id,
            number,
            group_state([bar.state, state]) or state,
            _earliest(bar.queued_at, queued),
            _earliest(bar.start_date, start),
            None if open_ or bar.running else max(bar.end_date, end),
            bar.running or open_,
        )
    return [b if not b.running else b._replace(end_date=None) for b in bars.values()]


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    return min(x for x in (a, b) if x is not None) if a or b else None


class MappedTry(NamedTuple):
    task_id: str
    try_number: int
    state: str
    queued_at: datetime | None
    start_date: datetime | None
    end_date: datetime | None
    running: bool
