"""The ``hitl_detail`` table: a question a human-in-the-loop task asks, and its answer.

Airflow 3.1's table and columns, keyed here by the task instance's natural key (dag_id,
run_id, task_id, map_index) like ``xcom``, so deleting a run deletes it with the rest. The
request half is written when the task's try starts waiting (``HITLOperator.execute``); the
response half when a person answers (REST API, web UI, CLI) or the wait times out with the
task's ``defaults`` (``responded_by_user_name`` is then null). A later try of the same task
asks again: the row is overwritten and the previous answer stays in the event log.
Column-only; the logic is in ``scheduler.store.hitl``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, Text
from sqlmodel import Field, SQLModel

from scheduler.store.sqlmodel_boundary import table_of
from scheduler.store.types import JsonText, UtcDateTime


class HitlDetailRow(SQLModel, table=True):
    __tablename__ = "hitl_detail"
    __table_args__ = (Index("ix_hitl_detail_pending", "responded_at", "created_at"),)

    dag_id: str = Field(max_length=250, primary_key=True)
    run_id: str = Field(max_length=250, primary_key=True)
    task_id: str = Field(max_length=250, primary_key=True)
    map_index: int = Field(default=-1, primary_key=True)
    try_number: int = 0  # the try that asked
    # the request
    subject: str = Field(sa_type=Text)
    body: str | None = Field(default=None, sa_type=Text)
    options: Any = Field(default_factory=list, sa_type=JsonText)  # list[str]
    defaults: Any = Field(default=None, sa_type=JsonText, nullable=True)  # list[str] | None
    multiple: bool = False
    params: Any = Field(default_factory=dict, sa_type=JsonText)  # ParamsDict.spec()
    assigned_users: Any = Field(default_factory=list, sa_type=JsonText)  # [{"id", "name"}]
    created_at: datetime = Field(sa_type=UtcDateTime)
    # the response
    responded_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    responded_by_user_id: str | None = Field(default=None, max_length=250)
    responded_by_user_name: str | None = Field(default=None, max_length=250)
    chosen_options: Any = Field(default=None, sa_type=JsonText, nullable=True)
    params_input: Any = Field(default_factory=dict, sa_type=JsonText)


hitl_detail_table = table_of(HitlDetailRow)
