"""The ``backfill`` and ``backfill_dag_run`` tables (Airflow 3's names and meanings).

Column-only; the logic is in ``scheduler.store.backfills`` and ``scheduler.engine.backfill``.
A backfill asks the scheduler for runs of one DAG over the logical dates of its schedule
between ``from_date`` and ``to_date`` (both included). Each of those dates has one
``backfill_dag_run`` row, written when the backfill is created, in the order the runs start
(``sort_ordinal``); the scheduler fills in ``dag_run_id`` when it creates (or clears) the
date's run, or ``exception_reason`` when it leaves the date alone.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from scheduler.store.sqlmodel_boundary import table_of
from scheduler.store.types import JsonText, UtcDateTime


class BackfillRow(SQLModel, table=True):
    __tablename__ = "backfill"
    __table_args__ = (
        Index("ix_backfill_dag_id_completed_at", "dag_id", "completed_at"),
        # Every scheduler pass looks for the active backfills (completed_at IS NULL).
        Index("ix_backfill_completed_at", "completed_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    dag_id: str = Field(max_length=250)
    from_date: datetime = Field(sa_type=UtcDateTime)
    to_date: datetime = Field(sa_type=UtcDateTime)
    dag_run_conf: Any = Field(default_factory=dict, sa_type=JsonText)
    is_paused: bool = False
    # none | failed | completed: which dates that already have a finished run run again.
    reprocess_behavior: str = Field(default="none", max_length=20)
    # How many of this backfill's runs may be active at once, apart from the DAG's own.
    max_active_runs: int = 10
    run_backwards: bool = False
    created_at: datetime = Field(sa_type=UtcDateTime)
    updated_at: datetime = Field(sa_type=UtcDateTime)
    # Set when every run has ended, or when it was cancelled (then cancelled_at too).
    completed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    cancelled_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    created_by: str | None = Field(default=None, max_length=250)


class BackfillDagRunRow(SQLModel, table=True):
    __tablename__ = "backfill_dag_run"
    __table_args__ = (
        UniqueConstraint("backfill_id", "logical_date", name="uq_backfill_dag_run_date"),
        Index("ix_backfill_dag_run_backfill_id_sort", "backfill_id", "sort_ordinal"),
    )

    id: int | None = Field(default=None, primary_key=True)
    backfill_id: int = Field(foreign_key="backfill.id")
    logical_date: datetime = Field(sa_type=UtcDateTime)
    data_interval_start: datetime = Field(sa_type=UtcDateTime)
    data_interval_end: datetime = Field(sa_type=UtcDateTime)
    sort_ordinal: int
    # The run this date got (created, or cleared for reprocessing); None: not reached yet.
    dag_run_id: int | None = None
    # Why the date got no run: in_flight (its run was queued or running) or
    # already_exists (a finished run the reprocess behaviour keeps), or cancelled.
    exception_reason: str | None = Field(default=None, max_length=30)


backfill_table = table_of(BackfillRow)
backfill_dag_run_table = table_of(BackfillDagRunRow)
