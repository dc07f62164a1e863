"""XCom values: written by the Engine with a try's result, read by workers and the CLI."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Engine, and_, delete, insert, select
from sqlalchemy.orm import Session

from scheduler.store.db import make_engine
from scheduler.store.models import XComRow, xcom_table


def replace_xcoms(
    session: Session,
    dag_id: str,
    run_id: str,
    task_id: str,
    values: Sequence[tuple[str, str]],
    now: datetime,
) -> None:
    """Store a try's XComs (``(key, json_text)``), replacing an earlier try's."""
    session.execute(
        delete(xcom_table).where(
            and_(
                xcom_table.c.dag_id == dag_id,
                xcom_table.c.run_id == run_id,
                xcom_table.c.task_id == task_id,
            )
        )
    )
    if values:
        session.execute(
            insert(xcom_table),
            [
                {
                    "dag_id": dag_id,
                    "run_id": run_id,
                    "task_id": task_id,
                    "key": key,
                    "value": text,
                    "created_at": now,
                }
                for key, text in dict(values).items()
            ],
        )


def list_xcoms(
    session: Session, dag_id: str, run_id: str, task_id: str | None = None
) -> list[XComRow]:
    query = select(XComRow).where(XComRow.dag_id == dag_id, XComRow.run_id == run_id)
    if task_id is not None:
        query = query.where(XComRow.task_id == task_id)
    return list(session.scalars(query.order_by(XComRow.task_id, XComRow.key)))


class DatabaseXComReader:
    """``xcom_pull`` for workers: reads the Store directly (WAL readers never block writers)."""

    def __init__(self, database_url: str) -> None:
        self._url = database_url
        self._engine: Engine | None = None

    def read(self, dag_id: str, run_id: str, task_id: str, key: str) -> tuple[bool, Any]:
        if self._engine is None:  # created lazily: workers fork before they need it
            self._engine = make_engine(self._url, write=False)
        query = select(xcom_table.c.value).where(
            xcom_table.c.dag_id == dag_id,
            xcom_table.c.run_id == run_id,
            xcom_table.c.task_id == task_id,
            xcom_table.c.key == key,
        )
        with self._engine.connect() as connection:
            text = connection.execute(query).scalar()
        return (False, None) if text is None else (True, json.loads(text))


@lru_cache(maxsize=8)
def _reader(database_url: str) -> DatabaseXComReader:
    return DatabaseXComReader(database_url)


def xcom_reader_for(request: Any) -> DatabaseXComReader:
    """The XCom reader of a worker for ``request`` (one per database, reused across tries)."""
    if not request.database_url:
        raise ValueError(f"task request {request.key} carries no database_url to read XCom from")
    return _reader(request.database_url)
