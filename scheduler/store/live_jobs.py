"""Which scheduler jobs are alive: the reads of ``/api/v1/health`` and ``baton jobs check``.

A job is alive while its row says ``running`` and its heartbeat is younger than
``BATON_SCHEDULER_HEALTH_THRESHOLD`` (``jobs.is_alive``, the rule the schedulers themselves
use to take over each other's work).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from scheduler.store.jobs import is_alive
from scheduler.store.models import SchedulerJobRow


def running_jobs(
    session: Session, *, hostname: str | None = None, limit: int = 0
) -> list[SchedulerJobRow]:
    """Jobs marked running, newest heartbeat first; ``limit`` 0 means all of them."""
    query = (
        select(SchedulerJobRow)
        .where(col(SchedulerJobRow.state) == "running")
        .order_by(col(SchedulerJobRow.last_heartbeat).desc(), col(SchedulerJobRow.id).desc())
    )
    if hostname is not None:
        query = query.where(col(SchedulerJobRow.hostname) == hostname)
    if limit > 0:
        query = query.limit(limit)
    return list(session.scalars(query))


def live_jobs(
    session: Session,
    now: datetime,
    threshold: timedelta,
    *,
    hostname: str | None = None,
    limit: int = 0,
) -> list[SchedulerJobRow]:
    """The running jobs (as ``running_jobs``) whose heartbeat is fresh."""
    jobs = running_jobs(session, hostname=hostname, limit=limit)
    return [job for job in jobs if is_alive(job, now, threshold)]
