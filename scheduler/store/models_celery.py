"""Tables of the Celery executor: who claimed which try, and the logs workers ship.

Column-only, like the other tables; the logic is in ``scheduler.store.try_claims`` and
``scheduler.store.shipped_logs``.

``celery_try_claim``: one row per try a Celery worker started (or that the scheduler
cancelled before any worker did). Inserting it is the compare-and-set that makes a message
the broker delivers twice run once: the second delivery finds the row and is dropped.

``task_log_chunk``: the bytes of a try's log, shipped by the worker that ran it (a worker on
another machine shares no disk with the web UI), keyed by the ``log_path`` the scheduler
recorded in ``task_try`` and by byte offset, so a reader tails it exactly like the file.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import LargeBinary, Text
from sqlmodel import Field, SQLModel

from scheduler.store.sqlmodel_boundary import table_of
from scheduler.store.types import JsonText, UtcDateTime


class TryClaimRow(SQLModel, table=True):
    __tablename__ = "celery_try_claim"

    dag_id: str = Field(primary_key=True, max_length=250)
    run_id: str = Field(primary_key=True, max_length=250)
    task_id: str = Field(primary_key=True, max_length=250)
    map_index: int = Field(primary_key=True, default=-1)
    try_number: int = Field(primary_key=True)
    compensation: bool = Field(primary_key=True, default=False)
    # running | finished | cancelled (before it started) | cancel_requested (while running)
    state: str = Field(max_length=20)
    worker: str = Field(default="", sa_type=Text)
    claimed_at: datetime = Field(sa_type=UtcDateTime)
    heartbeat_at: datetime = Field(sa_type=UtcDateTime)
    # The try's TaskFinished, encoded as on the broker: the durable copy of the outcome, read
    # by a scheduler that took over the try's DAG (its events went to a dead scheduler).
    outcome: Any = Field(default=None, sa_type=JsonText, nullable=True)


class TaskLogChunkRow(SQLModel, table=True):
    __tablename__ = "task_log_chunk"

    log_path: str = Field(primary_key=True, max_length=1000)
    offset: int = Field(primary_key=True)  # byte offset of ``data`` in the log
    data: bytes = Field(sa_type=LargeBinary)
    created_at: datetime = Field(sa_type=UtcDateTime)


try_claim_table = table_of(TryClaimRow)
task_log_chunk_table = table_of(TaskLogChunkRow)
