"""The ``dag_version`` table: one row per change of a DAG's structure or code (Airflow 3).

Column-only; the logic is in ``scheduler.store.dag_versions``. Versions are numbered per DAG
from 1. A new one is written when the serialized spec's hash or the DAG file's hash differs
from the DAG's latest version; an unchanged re-parse writes nothing. ``dag_run.dag_version_id``
names the version that was current when the run was created.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from scheduler.store.types import JsonText, UtcDateTime


class DagVersionRow(SQLModel, table=True):
    __tablename__ = "dag_version"
    __table_args__ = (
        UniqueConstraint("dag_id", "version_number", name="uq_dag_version_dag_id_version_number"),
    )

    id: int | None = Field(default=None, primary_key=True)
    dag_id: str = Field(max_length=250)
    version_number: int
    created_at: datetime = Field(sa_type=UtcDateTime)
    fileloc: str = Field(sa_type=Text)
    # sha256 hex of the file's bytes and its text as parsed ("" when it could not be read).
    file_hash: str = Field(max_length=64)
    source_code: str = Field(sa_type=Text)
    # sha256 hex of the spec's canonical JSON, and the spec itself (DagSpec.to_dict()).
    spec_hash: str = Field(max_length=64)
    spec: Any = Field(sa_type=JsonText)
