"""Which scheduler drives which DAG, and the tries a gone scheduler left in flight.

Several schedulers share one PostgreSQL database, none of them special. The unit a
scheduler owns is a DAG (``dag.scheduler_job_id``): it creates that DAG's runs, plans and
dispatches them, and keeps them in its in-memory mirror. Owning whole DAGs, rather than
single runs, keeps every per-DAG rule a local decision with no cross-scheduler query on
the hot path: ``max_active_runs``, ``max_active_tis_per_dag``, ``depends_on_past``, and
creating each scheduled run exactly once.

DAGs are claimed with ``SELECT ... FOR UPDATE SKIP LOCKED``, so two schedulers claiming at
the same moment take different DAGs and never wait on each other; each takes at most its
share (the DAGs divided by the live schedulers) and hands back idle DAGs above it, so a
scheduler that joins gets work. A scheduler whose heartbeat is older than
``BATON_SCHEDULER_HEALTH_THRESHOLD`` is gone: its DAGs are free again, and the scheduler that
claims one adopts the tries it left queued or running (``orphaned_tries``).

On SQLite there is one scheduler (``single_scheduler.py``), which owns every DAG.
"""

from __future__ import annotations

import math
import os
import socket
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from scheduler.states import TaskState
from scheduler.store.models import (
    SchedulerJobRow,
    TaskInstanceRow,
    dag_run_table,
    dag_table,
    scheduler_job_table,
    task_instance_table,
)
from scheduler.store.sqlmodel_boundary import key_column

_IN_FLIGHT = (TaskState.QUEUED, TaskState.RUNNING)
_NOT_MIRRORED = ("test",)  # `baton dags test` drives its own run in its own process


def claim_dags(
    session: Session, job_id: int, alive: Collection[int], busy: Collection[str]
) -> set[str]:
    """Claim this scheduler's share of the DAGs; return every DAG it owns now.

    ``alive``: the live schedulers' job ids (this one included). ``busy``: DAGs this
    scheduler has active runs of, which it never hands back (their tries report here)."""
    alive = set(alive) | {job_id}
    rows = session.execute(
        select(dag_table.c.dag_id, dag_table.c.scheduler_job_id).where(dag_table.c.is_active)
    ).all()
    mine = {dag_id for dag_id, owner in rows if owner == job_id}
    share = math.ceil(len(rows) / len(alive))
    if len(mine) > share:
        idle = sorted(mine - set(busy))[: len(mine) - share]
        if idle:
            session.execute(
                update(dag_table)
                .where(dag_table.c.dag_id.in_(idle), dag_table.c.scheduler_job_id == job_id)
                .values(scheduler_job_id=None)
            )
            mine -= set(idle)
    wanted = share - len(mine)
    free = sorted(d for d, owner in rows if owner is None or owner not in alive)
    if wanted > 0 and free:
        claimable = or_(
            dag_table.c.scheduler_job_id.is_(None),
            dag_table.c.scheduler_job_id.not_in(alive),
        )
        claimed = session.scalars(
            select(dag_table.c.dag_id)
            .where(dag_table.c.dag_id.in_(free), dag_table.c.is_active, claimable)
            .order_by(dag_table.c.dag_id)
            .limit(wanted)
            .with_for_update(skip_locked=True)
        ).all()
        if claimed:
            session.execute(
                update(dag_table)
                .where(dag_table.c.dag_id.in_(claimed))
                .values(scheduler_job_id=job_id)
            )
            mine |= set(claimed)
    return mine


def lock_owned_dag(session: Session, dag_id: str, job_id: int | None) -> bool:
    """Lock the DAG's row until the transaction ends; True if this scheduler owns it."""
    owner = session.scalar(
        select(dag_table.c.scheduler_job_id).where(dag_table.c.dag_id == dag_id).with_for_update()
    )
    return owner is not None and owner == job_id


def orphaned_tries(session: Session, job_id: int) -> list[TaskInstanceRow]:
    """Task instances of this scheduler's DAGs with a try (or a compensation try) in
    flight that another scheduler dispatched: it is gone, and they are this one's now."""
    in_flight = or_(
        col(TaskInstanceRow.state).in_(_IN_FLIGHT),
        and_(
            col(TaskInstanceRow.state) == TaskState.COMPENSATING,
            col(TaskInstanceRow.compensation_state).in_(_IN_FLIGHT),
        ),
    )
    query = (
        select(TaskInstanceRow)
        .join(dag_table, dag_table.c.dag_id == col(TaskInstanceRow.dag_id))
        .join(dag_run_table, dag_run_table.c.id == col(TaskInstanceRow.dag_run_id))
        .where(
            dag_table.c.scheduler_job_id == job_id,
            dag_run_table.c.run_type.not_in(_NOT_MIRRORED),
            in_flight,
            or_(
                col(TaskInstanceRow.scheduler_job_id).is_(None),
                col(TaskInstanceRow.scheduler_job_id) != job_id,
            ),
        )
    )
    return list(session.scalars(query))


def take_tries(session: Session, rows: Collection[TaskInstanceRow], job_id: int) -> None:
    """Record that this scheduler now hears the events of these tries (adopted ones)."""
    ids = [row.id for row in rows]
    if ids:
        session.execute(
            update(task_instance_table)
            .where(task_instance_table.c.id.in_(ids))
            .values(scheduler_job_id=job_id)
        )


def end_dead_local_jobs(session: Session, job_id: int, now: datetime) -> list[int]:
    """Mark stopped the 'running' jobs of this machine whose process is gone (a scheduler
    killed and started again here): its DAGs are taken over now, not after the health
    threshold."""
    host = socket.gethostname()
    rows = session.execute(
        select(key_column(SchedulerJobRow), col(SchedulerJobRow.pid)).where(
            col(SchedulerJobRow.state) == "running",
            col(SchedulerJobRow.hostname) == host,
            col(SchedulerJobRow.id) != job_id,
        )
    ).all()
    dead = [job for job, pid in rows if not _process_exists(pid)]
    if dead:
        session.execute(
            update(scheduler_job_table)
            .where(scheduler_job_table.c.id.in_(dead))
            .values(state="stopped", ended_at=now)
        )
    return dead


def _process_exists(pid: int | None) -> bool:
    if not pid or pid == os.getpid():  # our pid: the old scheduler had it, and is gone
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    return True
