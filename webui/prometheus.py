"""Prometheus metrics, computed from the database at scrape time with bounded queries.

Counts by state use the state indexes; the hop latency (from the end of a task's last
upstream try to the start of its own try: how fast the scheduler reacts) is derived from
the most recent RECENT_TRIES tries only, so a scrape costs the same on a database with
millions of rows. The scheduler's loop duration comes from the counters the scheduler
writes with each heartbeat.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from prometheus_client.core import (
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
    SummaryMetricFamily,
)
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from scheduler import api
from scheduler.settings import Settings
from scheduler.states import TaskState
from scheduler.store.db import transaction
from scheduler.store.jobs import latest_heartbeat
from scheduler.store.models import DagRow, DagRunRow, TaskInstanceRow, TaskTryRow

RECENT_TRIES = 2000
HOP_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
QUEUED_STATES = (TaskState.SCHEDULED.value, TaskState.QUEUED.value)


class BatonCollector(Collector):
    """Reads the database on each ``collect()`` (one scrape)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def collect(self) -> Iterator[Metric]:
        with transaction(api.read_database(self.settings)) as session:
            yield _by_state(session, col(DagRunRow.state), "baton_dag_runs", "DAG runs by state.")
            yield _by_state(
                session,
                col(TaskInstanceRow.state),
                "baton_task_instances",
                "Task instances by state.",
            )
            yield _recent_tries(session)
            yield _queue_depth(session)
            yield _heartbeat_age(session)
            yield from _loop_duration(session)
            yield _hop_latency(session)


def _by_state(session: Session, column: Any, name: str, doc: str) -> GaugeMetricFamily:
    metric = GaugeMetricFamily(name, doc, labels=["state"])
    for state, count in session.execute(select(column, func.count()).group_by(column)):
        metric.add_metric([state], count)
    return metric


def _recent_window(session: Session) -> int:
    """The lowest task_try id of the RECENT_TRIES newest tries (ids only grow)."""
    newest = session.scalar(select(func.max(col(TaskTryRow.id)))) or 0
    return newest - RECENT_TRIES


def _recent_tries(session: Session) -> GaugeMetricFamily:
    metric = GaugeMetricFamily(
        "baton_task_tries_recent",
        f"Outcome of the {RECENT_TRIES} most recent task tries, by state.",
        labels=["state"],
    )
    query = (
        select(col(TaskTryRow.state), func.count())
        .where(col(TaskTryRow.id) > _recent_window(session))
        .group_by(col(TaskTryRow.state))
    )
    for state, count in session.execute(query):
        metric.add_metric([state], count)
    return metric


def _queue_depth(session: Session) -> GaugeMetricFamily:
    count = session.scalar(
        select(func.count()).where(col(TaskInstanceRow.state).in_(QUEUED_STATES))
    )
    return GaugeMetricFamily(
        "baton_queue_depth",
        "Task instances waiting for a worker (scheduled or queued).",
        value=count or 0,
    )


def _heartbeat_age(session: Session) -> GaugeMetricFamily:
    job = latest_heartbeat(session)
    age = (datetime.now(UTC) - job.last_heartbeat).total_seconds() if job else float("nan")
    return GaugeMetricFamily(
        "baton_scheduler_heartbeat_age_seconds",
        "Seconds since the latest scheduler heartbeat (NaN: no scheduler ever ran).",
        value=age,
    )


def _loop_duration(session: Session) -> Iterator[Metric]:
    """The latest scheduler's loop iterations: a summary (count, sum) and the slowest one."""
    job = latest_heartbeat(session)
    count, total, slowest = (
        (job.loop_count, job.loop_seconds_sum, job.loop_seconds_max) if job else (0, 0.0, 0.0)
    )
    yield SummaryMetricFamily(
        "baton_scheduler_loop_duration_seconds",
        "Duration of the scheduler's loop iterations since it started.",
        count_value=count,
        sum_value=total,
    )
    yield GaugeMetricFamily(
        "baton_scheduler_loop_duration_max_seconds",
        "The slowest scheduler loop iteration since it started.",
        value=slowest,
    )


def _hop_latency(session: Session) -> HistogramMetricFamily:
    hops = hop_latencies(session)
    counts = [0] * (len(HOP_BUCKETS) + 1)
    for hop in hops:
        counts[bisect_left(HOP_BUCKETS, hop)] += 1
    cumulative, buckets = 0, []
    for bound, count in zip([*map(str, HOP_BUCKETS), "+Inf"], counts, strict=True):
        cumulative += count
        buckets.append((bound, cumulative))
    return HistogramMetricFamily(
        "baton_task_hop_latency_seconds",
        f"Upstream try end to downstream try start, over the {RECENT_TRIES} most recent tries.",
        buckets=buckets,
        sum_value=sum(hops),
    )


def hop_latencies(session: Session) -> list[float]:
    """Hop latencies of the recent tries that have upstream tries in the same window."""
    rows = session.execute(
        select(
            col(TaskTryRow.dag_id),
            col(TaskTryRow.run_id),
            col(TaskTryRow.task_id),
            col(TaskTryRow.start_date),
            col(TaskTryRow.end_date),
        ).where(
            col(TaskTryRow.id) > _recent_window(session), col(TaskTryRow.start_date).is_not(None)
        )
    ).all()
    ends: dict[tuple[str, str, str], list[datetime]] = {}
    for dag_id, run_id, task_id, _start, end in rows:
        if end is not None:
            ends.setdefault((dag_id, run_id, task_id), []).append(end)
    upstream = _upstream_of(session, {row[0] for row in rows})
    hops = []
    for dag_id, run_id, task_id, start, _end in rows:
        if start is None:  # the query keeps started tries only; this tells mypy so
            continue
        before = [
            end
            for up in upstream.get(dag_id, {}).get(task_id, ())
            for end in ends.get((dag_id, run_id, up), ())
            if end <= start
        ]
        if before:
            hops.append((start - max(before)).total_seconds())
    return hops


def _upstream_of(session: Session, dag_ids: set[str]) -> dict[str, dict[str, list[str]]]:
    """dag_id → task_id → its upstream task_ids, from the serialised DAGs."""
    if not dag_ids:
        return {}
    specs = session.execute(
        select(col(DagRow.dag_id), col(DagRow.spec)).where(col(DagRow.dag_id).in_(dag_ids))
    )
    return {
        dag_id: {task["task_id"]: list(task.get("upstream", ())) for task in spec.get("tasks", [])}
        for dag_id, spec in specs
    }
