"""The ``trigger`` and ``triggerer_job`` tables (deferrable tasks, Airflow's names).

A ``trigger`` row is what a deferred task waits on: the trigger's classpath and kwargs, as
its ``serialize()`` returned them, and which triggerer runs it (``triggerer_id``, claimed
through the database). The task instances waiting on it name it in ``task_instance.trigger_id``.
A ``triggerer_job`` row is one ``baton triggerer`` process and its heartbeat: a triggerer
whose heartbeat is stale has its triggers claimed by another (or by its own restart).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, Text
from sqlmodel import Field, SQLModel

from scheduler.store.sqlmodel_boundary import table_of
from scheduler.store.types import JsonText, UtcDateTime


class TriggerRow(SQLModel, table=True):
    __tablename__ = "trigger"
    # AUTOINCREMENT on SQLite: a fired trigger's id is never given to a new one, so a
    # triggerer cannot mistake the new trigger for the one it just finished.
    __table_args__ = (
        Index("ix_trigger_triggerer_id", "triggerer_id"),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    classpath: str = Field(sa_type=Text)
    kwargs: Any = Field(default_factory=dict, sa_type=JsonText)  # triggers/serde.py JSON
    created_at: datetime = Field(sa_type=UtcDateTime)
    triggerer_id: int | None = None  # the triggerer_job running it; None: unclaimed


class TriggererJobRow(SQLModel, table=True):
    __tablename__ = "triggerer_job"

    id: int | None = Field(default=None, primary_key=True)
    hostname: str = Field(max_length=250)
    pid: int
    state: str = Field(max_length=20)  # running | stopped
    started_at: datetime = Field(sa_type=UtcDateTime)
    last_heartbeat: datetime = Field(sa_type=UtcDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    capacity: int = 1000  # BATON_TRIGGERER_CAPACITY: triggers it runs at most


trigger_table = table_of(TriggerRow)
triggerer_job_table = table_of(TriggererJobRow)
