"""A DAG's run history as charts read it: the durations of its last runs (with their p95),
and its runs counted per day and state (the calendar).

Both read ``dag_run`` through the ``(dag_id, logical_date)`` index: the trend walks it
backwards and stops after ``limit`` finished runs, the calendar reads one year's range of
it and counts in SQL (one row per day and state, whatever the number of runs).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from scheduler.store.models import dag_run_table
from webui.queries.common import day_of, seconds_between
from webui.queries.dashboard_stats import percentile

DEFAULT_TREND_RUNS = 50
MAX_TREND_RUNS = 500


@dataclass(frozen=True)
class RunDuration:
    run_id: str
    logical_date: datetime
    state: str
    start_date: datetime
    duration: float  # seconds from start to end


@dataclass(frozen=True)
class DurationTrend:
    runs: list[RunDuration]  # oldest first, as a chart draws them
    p95: float | None  # nearest-rank p95 of those runs' durations
    p50: float | None


def duration_trend(session: Session, dag_id: str, limit: int) -> DurationTrend:
    """The last ``limit`` finished runs of ``dag_id`` (by logical date) and their p50/p95."""
    runs = dag_run_table.c
    seconds = seconds_between(session, runs.start_date, runs.end_date)
    rows = session.execute(
        select(runs.run_id, runs.logical_date, runs.state, runs.start_date, seconds)
        .where(runs.dag_id == dag_id, runs.end_date.is_not(None), runs.start_date.is_not(None))
        .order_by(runs.logical_date.desc())
        .limit(limit)
    ).all()
    # to the millisecond: SQLite's julianday arithmetic leaves noise in the last digits
    found = [
        RunDuration(row[0], row[1], row[2], row[3], round(max(0.0, row[4] or 0.0), 3))
        for row in reversed(rows)
    ]
    ordered = sorted(run.duration for run in found)
    return DurationTrend(found, percentile(ordered, 95), percentile(ordered, 50))


@dataclass(frozen=True)
class CalendarYear:
    year: int
    days: dict[date, dict[str, int]]  # day -> run state -> number of runs that day


def runs_per_day(session: Session, dag_id: str, year: int) -> CalendarYear:
    """How many runs of ``dag_id`` have a logical date on each UTC day of ``year``, by state."""
    runs = dag_run_table.c
    day = day_of(session, runs.logical_date)
    start = datetime(year, 1, 1, tzinfo=UTC)
    end = datetime(year + 1, 1, 1, tzinfo=UTC)
    rows = session.execute(
        select(day, runs.state, func.count())
        .where(runs.dag_id == dag_id, runs.logical_date >= start, runs.logical_date < end)
        .group_by(day, runs.state)
    )
    days: dict[date, dict[str, int]] = defaultdict(dict)
    for value, state, number in rows:
        days[date.fromisoformat(str(value))][state] = number
    return CalendarYear(year, dict(days))


def years_with_runs(session: Session, dag_id: str) -> tuple[int, int] | None:
    """The years of ``dag_id``'s first and last logical dates (the calendar's navigation)."""
    runs = dag_run_table.c
    first, last = session.execute(
        select(func.min(runs.logical_date), func.max(runs.logical_date)).where(
            runs.dag_id == dag_id
        )
    ).one()
    if first is None:
        return None
    return _year(first), _year(last)


def _year(value: datetime | str) -> int:
    # min()/max() on SQLite come back as the stored text, not through UtcDateTime
    return value.year if isinstance(value, datetime) else int(str(value)[:4])
