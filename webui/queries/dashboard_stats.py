"""The metrics dashboard: throughput, latency, errors and the slowest tasks over a window.

Counts are aggregated in SQL (grouped by time bucket), from indexes that cover them.
Percentiles and the slowest tasks need the values themselves: runs are few enough to read
them all (up to MAX_SAMPLES), tries are read as a systematic sample of about MAX_SAMPLES
(every Nth id) when the window holds more; the page says when it is a sample.
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Integer,
    Row,
    Table,
    bindparam,
    case,
    cast,
    func,
    literal,
    select,
)
from sqlalchemy.orm import Session

from scheduler.states import RunState, TaskState
from scheduler.store.models import dag_run_table, task_try_table
from scheduler.store.types import UtcDateTime
from webui.queries.common import bind_time, seconds_between

MAX_SAMPLES = 5_000
SLOWEST = 10


@dataclass(frozen=True)
class Window:
    name: str
    span: timedelta
    bucket: timedelta  # width of one bar of the throughput charts


WINDOWS = {
    "hour": Window("hour", timedelta(hours=1), timedelta(minutes=5)),
    "day": Window("day", timedelta(days=1), timedelta(hours=1)),
    "week": Window("week", timedelta(days=7), timedelta(hours=6)),
}
DEFAULT_WINDOW = "day"


@dataclass(frozen=True)
class Percentiles:
    count: int
    p50: float | None
    p95: float | None


class SlowTask(NamedTuple):
    dag_id: str
    task_id: str
    tries: int  # in the sample
    mean: float
    max: float


@dataclass
class Metrics:
    window: Window
    since: datetime
    buckets: list[datetime]
    runs: dict[str, list[int]]  # "success" / "failed" -> finished runs per bucket
    tries: dict[str, list[int]]  # "success" / "failed" -> finished tries per bucket
    run_duration: Percentiles
    task_delay: Percentiles
    task_duration: Percentiles
    run_duration_p95: list[float | None]  # per bucket
    task_delay_p95: list[float | None]  # per bucket
    failed_tries: int = 0
    retries: int = 0
    total_tries: int = 0
    failed_runs: int = 0
    total_runs: int = 0
    slowest: list[SlowTask] = field(default_factory=list)
    sample_step: int = 1  # latencies and slowest tasks read every Nth try of the window

    @property
    def try_error_rate(self) -> float | None:
        return self.failed_tries / self.total_tries if self.total_tries else None

    @property
    def run_error_rate(self) -> float | None:
        return self.failed_runs / self.total_runs if self.total_runs else None


def percentile(sorted_values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (``q`` in 0..100) of an already sorted list."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def summarize(values: list[float]) -> Percentiles:
    ordered = sorted(values)
    return Percentiles(len(ordered), percentile(ordered, 50), percentile(ordered, 95))


def dashboard(session: Session, window: Window, now: datetime, dag_id: str | None) -> Metrics:
    since = now - window.span
    count = math.ceil(window.span / window.bucket)
    metrics = Metrics(
        window=window,
        since=since,
        buckets=[since + i * window.bucket for i in range(count)],
        runs={"success": [0] * count, "failed": [0] * count},
        tries={"success": [0] * count, "failed": [0] * count},
        run_duration=Percentiles(0, None, None),
        task_delay=Percentiles(0, None, None),
        task_duration=Percentiles(0, None, None),
        run_duration_p95=[None] * count,
        task_delay_p95=[None] * count,
    )
    scope = _Scope(session, since, window, count, dag_id)
    _count_runs(session, scope, metrics)
    _count_tries(session, scope, metrics)
    _run_latency(session, scope, metrics)
    _task_latency(session, scope, metrics)
    return metrics


@dataclass(frozen=True)
class _Scope:
    """What every query of one dashboard shares: the window's bounds and the DAG filter."""

    session: Session
    since: datetime
    window: Window
    count: int
    dag_id: str | None

    def bucket(self, table: Table) -> ColumnElement[int]:
        seconds = seconds_between(self.session, bind_time(self.since), table.c.end_date)
        return cast(seconds / self.window.bucket.total_seconds(), Integer)

    def where(self, table: Table) -> list[ColumnElement[bool]]:
        conditions = [table.c.end_date >= self.since]
        if self.dag_id is not None:
            conditions.append(table.c.dag_id == self.dag_id)
        return conditions

    def index(self, bucket: int) -> int:
        return min(max(bucket, 0), self.count - 1)


def _bucket_counts(
    session: Session, scope: _Scope, table: Table
) -> list[tuple[int, Row[*tuple[Any, ...]]]]:
    """(bucket, row of state, count, retried tries) for each time bucket: one range query
    per bucket on the ``end_date`` index, which the counts are read from (no row visits and
    no date arithmetic per row: faster than one GROUP BY over a computed bucket)."""
    retried = (
        func.sum(case((table.c.try_number > 1, 1), else_=0))
        if "try_number" in table.c
        else literal(0)
    )
    start, end = bindparam("start", type_=UtcDateTime()), bindparam("end", type_=UtcDateTime())
    query = select(table.c.state, func.count(), retried).where(
        table.c.end_date >= start, table.c.end_date < end
    )
    if scope.dag_id is not None:
        query = query.where(table.c.dag_id == scope.dag_id)
    query = query.group_by(table.c.state)
    counts = []
    for index in range(scope.count):
        bucket_start = scope.since + index * scope.window.bucket
        bounds = {"start": bucket_start, "end": bucket_start + scope.window.bucket}
        counts += [(index, row) for row in session.execute(query, bounds)]
    return counts


def _count_runs(session: Session, scope: _Scope, metrics: Metrics) -> None:
    for index, (state, number, _) in _bucket_counts(session, scope, dag_run_table):
        metrics.total_runs += number
        if state == RunState.SUCCESS:
            metrics.runs["success"][index] += number
        elif state == RunState.FAILED:
            metrics.failed_runs += number
            metrics.runs["failed"][index] += number


def _count_tries(session: Session, scope: _Scope, metrics: Metrics) -> None:
    for index, (state, number, retries) in _bucket_counts(session, scope, task_try_table):
        metrics.total_tries += number
        metrics.retries += retries or 0
        if state == TaskState.FAILED:
            metrics.failed_tries += number
            metrics.tries["failed"][index] += number
        elif state == TaskState.SUCCESS:
            metrics.tries["success"][index] += number


def _run_latency(session: Session, scope: _Scope, metrics: Metrics) -> None:
    runs = dag_run_table
    seconds = seconds_between(session, runs.c.start_date, runs.c.end_date)
    rows = session.execute(
        select(scope.bucket(runs), seconds)
        .where(*scope.where(runs), runs.c.start_date.is_not(None))
        .order_by(runs.c.end_date.desc())
        .limit(MAX_SAMPLES)
    ).all()
    metrics.run_duration = summarize([value for _, value in rows if value is not None])
    metrics.run_duration_p95 = _p95_per_bucket(rows, scope)


def _task_latency(session: Session, scope: _Scope, metrics: Metrics) -> None:
    """Delays, durations and the slowest tasks, from every ``step``-th try of the window (a
    systematic sample by id, spread evenly over time) when it holds more than MAX_SAMPLES."""
    tries = task_try_table
    step = max(1, math.ceil(metrics.total_tries / MAX_SAMPLES))
    delay = seconds_between(session, tries.c.queued_at, tries.c.start_date)
    query = select(
        scope.bucket(tries), delay, tries.c.duration, tries.c.dag_id, tries.c.task_id
    ).where(*scope.where(tries), tries.c.start_date.is_not(None))
    if step > 1:
        query = query.where(tries.c.id % step == 0)
    rows = session.execute(query).all()
    metrics.sample_step = step
    delays = [(bucket, value) for bucket, value, *_ in rows if value is not None]
    metrics.task_delay = summarize([max(0.0, value) for _, value in delays])
    metrics.task_delay_p95 = _p95_per_bucket(delays, scope)
    metrics.task_duration = summarize([row[2] for row in rows if row[2] is not None])
    metrics.slowest = _slowest(rows)


def _p95_per_bucket(rows: Sequence[Any], scope: _Scope) -> list[float | None]:
    by_bucket: dict[int, list[float]] = defaultdict(list)
    for bucket, value in rows:
        if value is not None:
            by_bucket[scope.index(bucket)].append(max(0.0, value))
    return [percentile(sorted(by_bucket[i]), 95) for i in range(scope.count)]


def _slowest(rows: Sequence[Any]) -> list[SlowTask]:
    durations: dict[tuple[str, str], list[float]] = defaultdict(list)
    for _, _, duration, dag_id, task_id in rows:
        if duration is not None:
            durations[(dag_id, task_id)].append(duration)
    means = ((sum(values) / len(values), key) for key, values in durations.items())
    return [
        SlowTask(*key, len(durations[key]), mean, max(durations[key]))
        for mean, key in heapq.nlargest(SLOWEST, means)
    ]
