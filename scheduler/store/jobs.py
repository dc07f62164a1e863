"""Scheduler jobs: who is scheduling, and whether it is still alive (its heartbeat)."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from scheduler.store.models import SchedulerJobRow, scheduler_job_table
from scheduler.store.sqlmodel_boundary import inserted_id, key_column


def start_job(session: Session, now: datetime) -> int:
    return inserted_id(
        session,
        insert(scheduler_job_table).values(
            hostname=socket.gethostname(),
            pid=os.getpid(),
            state="running",
            started_at=now,
            last_heartbeat=now,
        ),
    )


@dataclass
class LoopStats:
    """How long the scheduler's loop iterations took, since it started."""

    count: int = 0
    seconds_sum: float = 0.0
    seconds_max: float = 0.0

    def add(self, seconds: float) -> None:
        self.count += 1
        self.seconds_sum += seconds
        self.seconds_max = max(self.seconds_max, seconds)


def heartbeat(session: Session, job_id: int, now: datetime, loops: LoopStats | None = None) -> None:
    loops = loops or LoopStats()
    session.execute(
        update(scheduler_job_table)
        .where(scheduler_job_table.c.id == job_id)
        .values(
            last_heartbeat=now,
            loop_count=loops.count,
            loop_seconds_sum=loops.seconds_sum,
            loop_seconds_max=loops.seconds_max,
        )
    )


def end_job(session: Session, job_id: int, now: datetime) -> None:
    session.execute(
        update(scheduler_job_table)
        .where(scheduler_job_table.c.id == job_id)
        .values(state="stopped", ended_at=now)
    )


def end_other_jobs(session: Session, job_id: int, now: datetime) -> list[int]:
    """Mark every other 'running' job stopped: used when this scheduler holds the lock."""
    rows = session.scalars(
        select(key_column(SchedulerJobRow)).where(
            col(SchedulerJobRow.state) == "running", col(SchedulerJobRow.id) != job_id
        )
    ).all()
    if rows:
        session.execute(
            update(scheduler_job_table)
            .where(scheduler_job_table.c.id.in_(rows))
            .values(state="stopped", ended_at=now)
        )
    return list(rows)


def latest_heartbeat(session: Session) -> SchedulerJobRow | None:
    query = select(SchedulerJobRow).order_by(col(SchedulerJobRow.last_heartbeat).desc()).limit(1)
    return session.scalar(query)


def is_alive(job: SchedulerJobRow | None, now: datetime, threshold: timedelta) -> bool:
    return job is not None and job.state == "running" and now - job.last_heartbeat < threshold


def alive_job_ids(session: Session, now: datetime, threshold: timedelta) -> set[int]:
    rows = session.scalars(select(SchedulerJobRow).where(col(SchedulerJobRow.state) == "running"))
    return {row.id for row in rows if row.id is not None and is_alive(row, now, threshold)}
