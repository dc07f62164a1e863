"""The DAG callbacks the scheduler ran (``on_success_callback`` / ``on_failure_callback``).

One row per run state change that calls for a DAG callback, keyed by that change's
``event_log`` id: inserting it is the claim, so with several schedulers exactly one runs
the callback, and a run that is cleared and finishes again gets a callback again (a new
event). The logic is in ``scheduler.store.dag_callbacks`` and ``scheduler.engine.dag_callbacks``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Text
from sqlmodel import Field, SQLModel

from scheduler.store.sqlmodel_boundary import table_of
from scheduler.store.types import UtcDateTime


class DagCallbackRow(SQLModel, table=True):
    __tablename__ = "dag_callback"
    __table_args__ = (Index("ix_dag_callback_dag_run", "dag_id", "run_id"),)

    event_id: int = Field(primary_key=True)  # the claim: set, never generated
    dag_id: str = Field(max_length=250)
    run_id: str = Field(max_length=250)
    callback: str = Field(max_length=50)  # on_success_callback | on_failure_callback
    state: str = Field(max_length=20)  # running | success | failed
    source: str = Field(max_length=250)  # the scheduler that claimed it
    claimed_at: datetime = Field(sa_type=UtcDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    log_path: str | None = Field(default=None, sa_type=Text)
    error: str | None = Field(default=None, sa_type=Text)


dag_callback_table = table_of(DagCallbackRow)
