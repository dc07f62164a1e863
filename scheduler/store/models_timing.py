"""Timing alerts: each run's deadlines (``DAG(deadline=DeadlineAlert(...))``) and the tries
that ran longer than usual.

``deadline``: one row per run and alert, written when the run is created. The scheduler's
watcher finds those due with a range query on ``(state, deadline_time)`` — never a scan of
all runs — and moves each, once, from ``pending`` to ``missed`` (the run was not finished
in time: the callback runs) or ``met``. That update is the claim, so a restarted scheduler
or a second one never calls back twice. ``long_try``: one row per try that ran past the p95
of its task's usual durations, keyed by the try itself (inserting it is the claim).
The logic is in ``scheduler.store.deadlines`` and ``scheduler.engine.deadlines``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Text
from sqlmodel import Field, SQLModel

from scheduler.store.sqlmodel_boundary import table_of
from scheduler.store.types import UtcDateTime


class DeadlineRow(SQLModel, table=True):
    __tablename__ = "deadline"
    __table_args__ = (
        Index("ix_deadline_due", "state", "deadline_time"),
        Index("ix_deadline_dag_run", "dag_id", "run_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    dag_id: str = Field(max_length=250)
    run_id: str = Field(max_length=250)
    alert_index: int  # its place in DAG(deadline=[...])
    name: str | None = Field(default=None, max_length=250)
    reference: str = Field(max_length=50)  # DAGRUN_LOGICAL_DATE | DAGRUN_QUEUED_AT | ...
    deadline_time: datetime = Field(sa_type=UtcDateTime)
    state: str = Field(default="pending", max_length=20)  # pending | missed | met
    resolved_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    source: str | None = Field(default=None, max_length=250)  # the scheduler that resolved it
    # The callback's process: running | success | failed (None: not started).
    callback_state: str | None = Field(default=None, max_length=20)
    log_path: str | None = Field(default=None, sa_type=Text)
    error: str | None = Field(default=None, sa_type=Text)


class LongTryRow(SQLModel, table=True):
    __tablename__ = "long_try"
    __table_args__ = (Index("ix_long_try_dag_run", "dag_id", "run_id"),)

    dag_id: str = Field(primary_key=True, max_length=250)
    run_id: str = Field(primary_key=True, max_length=250)
    task_id: str = Field(primary_key=True, max_length=250)
    map_index: int = Field(default=-1, primary_key=True)
    try_number: int = Field(primary_key=True)
    usual_s: float  # the p95 of the task's last successful durations it ran past
    samples: int  # how many durations that p95 came from
    flagged_at: datetime = Field(sa_type=UtcDateTime)
    source: str = Field(max_length=250)
    callback_state: str | None = Field(default=None, max_length=20)
    log_path: str | None = Field(default=None, sa_type=Text)
    error: str | None = Field(default=None, sa_type=Text)


deadline_table = table_of(DeadlineRow)
long_try_table = table_of(LongTryRow)
