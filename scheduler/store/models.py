"""The tables. Column-only classes: the logic lives in functions that take a session.

Indexes follow what the Engine and the UI query: runs by state, task instances by run and
by state, tries by task instance, events by time and by DAG.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from scheduler.store.sqlmodel_boundary import table_of
from scheduler.store.types import JsonText, UtcDateTime


class DagRow(SQLModel, table=True):
    __tablename__ = "dag"

    dag_id: str = Field(primary_key=True, max_length=250)
    fileloc: str = Field(sa_type=Text)
    is_paused: bool = True
    is_active: bool = True
    # str | float | None, see spec.py
    schedule: Any = Field(default=None, sa_type=JsonText, nullable=True)
    description: str | None = Field(default=None, sa_type=Text)
    tags: Any = Field(default_factory=list, sa_type=JsonText)
    spec: Any = Field(sa_type=JsonText)  # DagSpec.to_dict()
    last_parsed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    # The data interval of the latest scheduled run created: where the timetable resumes.
    last_scheduled_start: datetime | None = Field(default=None, sa_type=UtcDateTime)
    last_scheduled_end: datetime | None = Field(default=None, sa_type=UtcDateTime)
    next_run_after: datetime | None = Field(default=None, sa_type=UtcDateTime)
    created_at: datetime = Field(sa_type=UtcDateTime)
    # The scheduler that drives this DAG's runs (creates, plans, dispatches them); claimed
    # with SELECT ... FOR UPDATE SKIP LOCKED and taken over when its heartbeat goes stale
    # (store/ownership.py). None: no scheduler has claimed it yet.
    scheduler_job_id: int | None = None


class DagRunRow(SQLModel, table=True):
    __tablename__ = "dag_run"
    __table_args__ = (
        UniqueConstraint("dag_id", "run_id", name="uq_dag_run_dag_id_run_id"),
        Index("ix_dag_run_state", "state"),
        Index("ix_dag_run_dag_id_logical_date", "dag_id", "logical_date"),
    )

    id: int | None = Field(default=None, primary_key=True)
    dag_id: str = Field(max_length=250)
    run_id: str = Field(max_length=250)
    run_type: str = Field(max_length=20)  # scheduled | manual | backfill | test
    state: str = Field(max_length=30)
    logical_date: datetime = Field(sa_type=UtcDateTime)
    data_interval_start: datetime = Field(sa_type=UtcDateTime)
    data_interval_end: datetime = Field(sa_type=UtcDateTime)
    conf: Any = Field(default_factory=dict, sa_type=JsonText)
    queued_at: datetime = Field(sa_type=UtcDateTime)
    start_date: datetime | None = Field(default=None, sa_type=UtcDateTime)
    end_date: datetime | None = Field(default=None, sa_type=UtcDateTime)
    triggered_by: str | None = Field(default=None, max_length=250)
    # The backfill that created (or cleared) this run; its run_type is then ``backfill``.
    backfill_id: int | None = Field(default=None, index=True)
    # Bumped by every change made outside the scheduler (clear, mark): the scheduler
    # reloads a run whose version moved under it.
    version: int = 0
    # The DAG version (dag_version.id) current when the run was created.
    dag_version_id: int | None = Field(default=None, index=True)


class TaskInstanceRow(SQLModel, table=True):
    __tablename__ = "task_instance"
    __table_args__ = (
        UniqueConstraint("dag_id", "run_id", "task_id", "map_index", name="uq_task_instance_key"),
        Index("ix_task_instance_state", "state"),
        Index("ix_task_instance_dag_run_id", "dag_run_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    dag_run_id: int = Field(foreign_key="dag_run.id")
    dag_id: str = Field(max_length=250)
    run_id: str = Field(max_length=250)
    task_id: str = Field(max_length=250)
    # Airflow's map_index: -1 for a task that is not mapped (or not expanded yet), 0..N-1
    # for the instances of a mapped task.
    map_index: int = -1
    operator: str | None = Field(default=None, max_length=250)
    state: str = Field(max_length=30)
    try_number: int = 0
    max_tries: int = 0  # retries + 1
    priority_weight: int = 1
    queued_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    start_date: datetime | None = Field(default=None, sa_type=UtcDateTime)
    end_date: datetime | None = Field(default=None, sa_type=UtcDateTime)
    duration: float | None = None
    next_retry_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    hostname: str | None = Field(default=None, max_length=250)
    pid: int | None = None
    scheduler_job_id: int | None = None  # which scheduler dispatched the current try
    # The try number at the last clear: retries count from there.
    retry_base: int = 0
    # Tries lost to the infrastructure (a killed worker or scheduler) since the last clear:
    # each is re-run at once without using up a retry, up to BATON_LOST_TRY_LIMIT.
    lost_count: int = 0
    error: str | None = Field(default=None, sa_type=Text)
    # Deferral (Airflow's columns): the trigger a deferred task waits on, the method its
    # next try resumes in and that method's kwargs (with the trigger's ``event``), and when
    # the wait times out. A rescheduled sensor keeps its first poke in next_kwargs.
    trigger_id: int | None = Field(default=None, index=True)
    next_method: str | None = Field(default=None, max_length=1000)
    next_kwargs: Any = Field(default=None, sa_type=JsonText, nullable=True)
    trigger_timeout: datetime | None = Field(default=None, sa_type=UtcDateTime)
    # Sagas (docs/sagas.md): while the task is ``compensating``, the phase of its
    # compensation (scheduled | queued | running | up_for_retry; then success | failed);
    # compensation tries started so far (never reset, so idempotency keys stay unique); the
    # count when the current compensation began (its retries count from there).
    compensation_state: str | None = Field(default=None, max_length=30)
    compensation_try_number: int = 0
    compensation_retry_base: int = 0


class TaskTryRow(SQLModel, table=True):
    """One row per try of a task instance: the history kept when it is retried or cleared."""

    __tablename__ = "task_try"
    __table_args__ = (
        UniqueConstraint(
            "dag_id", "run_id", "task_id", "map_index", "kind", "try_number", name="uq_task_try_key"
        ),
        # A task's recent successful durations (its usual time, predicted finishes).
        Index("ix_task_try_history", "dag_id", "task_id", "state", "end_date"),
    )

    id: int | None = Field(default=None, primary_key=True)
    dag_id: str = Field(max_length=250)
    run_id: str = Field(max_length=250)
    task_id: str = Field(max_length=250)
    map_index: int = -1
    try_number: int
    kind: str = Field(default="task", max_length=20)  # task | compensate (sagas)
    state: str = Field(max_length=30)
    queued_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    start_date: datetime | None = Field(default=None, sa_type=UtcDateTime)
    end_date: datetime | None = Field(default=None, sa_type=UtcDateTime)
    duration: float | None = None
    hostname: str | None = Field(default=None, max_length=250)
    pid: int | None = None
    error: str | None = Field(default=None, sa_type=Text)
    log_path: str | None = Field(default=None, sa_type=Text)


class XComRow(SQLModel, table=True):
    __tablename__ = "xcom"
    __table_args__ = (
        UniqueConstraint("dag_id", "run_id", "task_id", "map_index", "key", name="uq_xcom_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    dag_id: str = Field(max_length=250)
    run_id: str = Field(max_length=250)
    task_id: str = Field(max_length=250)
    map_index: int = -1
    key: str = Field(max_length=512)
    value: str = Field(sa_type=Text)  # JSON text as the worker sent it, secrets masked (***)
    # The unmasked JSON, Fernet-encrypted, when ``value`` had a secret masked: only workers
    # decrypt it, for xcom_pull (scheduler/runner/xcom_seal.py).
    sealed: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = Field(sa_type=UtcDateTime)


class ImportErrorRow(SQLModel, table=True):
    __tablename__ = "import_error"

    id: int | None = Field(default=None, primary_key=True)
    filename: str = Field(sa_type=Text)
    lineno: int | None = None
    message: str = Field(sa_type=Text)
    timestamp: datetime = Field(sa_type=UtcDateTime)


class EventRow(SQLModel, table=True):
    """Append-only: every state transition and every user action."""

    __tablename__ = "event_log"
    __table_args__ = (
        Index("ix_event_log_ts", "ts"),
        Index("ix_event_log_dag_run", "dag_id", "run_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    ts: datetime = Field(sa_type=UtcDateTime)
    event: str = Field(max_length=50)  # task_state | run_state | trigger | pause | ...
    dag_id: str | None = Field(default=None, max_length=250)
    run_id: str | None = Field(default=None, max_length=250)
    task_id: str | None = Field(default=None, max_length=250)
    map_index: int | None = None  # set for the instances of a mapped task
    try_number: int | None = None
    old_state: str | None = Field(default=None, max_length=30)
    new_state: str | None = Field(default=None, max_length=30)
    source: str = Field(max_length=250)  # scheduler:pid@host, cli:user, ...
    detail: str | None = Field(default=None, sa_type=Text)


class SchedulerJobRow(SQLModel, table=True):
    __tablename__ = "scheduler_job"

    id: int | None = Field(default=None, primary_key=True)
    hostname: str = Field(max_length=250)
    pid: int
    state: str = Field(max_length=20)  # running | stopped
    started_at: datetime = Field(sa_type=UtcDateTime)
    last_heartbeat: datetime = Field(sa_type=UtcDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    # Loop iterations since start, written with each heartbeat (for /metrics).
    loop_count: int = 0
    loop_seconds_sum: float = 0.0
    loop_seconds_max: float = 0.0


dag_table = table_of(DagRow)
dag_run_table = table_of(DagRunRow)
task_instance_table = table_of(TaskInstanceRow)
task_try_table = table_of(TaskTryRow)
xcom_table = table_of(XComRow)
import_error_table = table_of(ImportErrorRow)
event_table = table_of(EventRow)
scheduler_job_table = table_of(SchedulerJobRow)

# Imported last, once the core tables exist: each area keeps its tables in its own module,
# and Alembic sees them all through this module.
from scheduler.store import (  # noqa: E402
    models_assets,  # noqa: F401  (assets, asset events, the asset-triggered run queue)
    models_auth,  # noqa: F401  (web UI users and tokens)
    models_backfill,  # noqa: F401  (backfills and their dates)
    models_breakers,  # noqa: F401  (circuit breakers)
    models_celery,  # noqa: F401  (Celery try claims, shipped logs)
    models_connections,  # noqa: F401  (connections, variables)
    models_dag_versions,  # noqa: F401  (DAG versions)
    models_hitl,  # noqa: F401  (human-in-the-loop questions and answers)
    models_login,  # noqa: F401  (login throttle)
    models_notifications,  # noqa: F401  (DAG callbacks run)
    models_pools,  # noqa: F401  (pools)
    models_rate_limits,  # noqa: F401  (rate-limit token buckets)
    models_throttle,  # noqa: F401  (adaptive throttling per connection)
    models_timing,  # noqa: F401  (run deadlines, tries longer than usual)
    models_triggers,  # noqa: F401  (deferrable tasks: triggers, triggerers)
    models_ui,  # noqa: F401  (indexes for the web UI pages)
)
