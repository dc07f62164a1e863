"""XCom values: written by the Engine with a try's result, read by workers and the CLI."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import Engine, and_, delete, func, insert, select
from sqlalchemy.orm import Session
from sqlmodel import col

from scheduler.store.db import make_engine
from scheduler.store.models import XComRow, xcom_table


class SealedXCom(NamedTuple):
    """An XCom whose stored ``value`` has secrets masked: ``token`` is the encrypted
    original, which only a worker decrypts (``scheduler/runner/xcom_seal.py``)."""

    token: str


def replace_xcoms(
    session: Session,
    dag_id: str,
    run_id: str,
    task_id: str,
    values: Sequence[tuple[str, str]],
    now: datetime,
    map_index: int = -1,
    sealed: Sequence[tuple[str, str]] = (),
) -> None:
    """Store a try's XComs (``(key, json_text)``, secrets already masked by the worker),
    replacing an earlier try's; ``sealed`` holds ``(key, token)`` of the encrypted
    originals of those that had a secret."""
    tokens = dict(sealed)
    session.execute(
        delete(xcom_table).where(
            and_(
                xcom_table.c.dag_id == dag_id,
                xcom_table.c.run_id == run_id,
                xcom_table.c.task_id == task_id,
                xcom_table.c.map_index == map_index,
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
                    "map_index": map_index,
                    "key": key,
                    "value": text,
                    "sealed": tokens.get(key),
                    "created_at": now,
                }
                for key, text in dict(values).items()
            ],
        )


def list_xcoms(
    session: Session, dag_id: str, run_id: str, task_id: str | None = None
) -> list[XComRow]:
    query = select(XComRow).where(col(XComRow.dag_id) == dag_id, col(XComRow.run_id) == run_id)
    if task_id is not None:
        query = query.where(col(XComRow.task_id) == task_id)
    order = (col(XComRow.task_id), col(XComRow.map_index), col(XComRow.key))
    return list(session.scalars(query.order_by(*order)))


def xcom_length(session: Session, dag_id: str, run_id: str, task_id: str) -> int | str:
    """How many items the ``return_value`` of an unmapped task holds, for mapping over it:
    the length of a list or dict, or a message saying why it cannot be mapped over."""
    text = session.scalar(
        select(xcom_table.c.value).where(
            xcom_table.c.dag_id == dag_id,
            xcom_table.c.run_id == run_id,
            xcom_table.c.task_id == task_id,
            xcom_table.c.map_index == -1,
            xcom_table.c.key == "return_value",
        )
    )
    return mappable_length(task_id, None if text is None else json.loads(text), text is None)


def pushed_map_indexes(session: Session, dag_id: str, run_id: str, task_id: str) -> set[int]:
    """The instances of a mapped task that pushed a return value (mapping over its results
    gets one item per instance in this set)."""
    query = select(xcom_table.c.map_index).where(
        xcom_table.c.dag_id == dag_id,
        xcom_table.c.run_id == run_id,
        xcom_table.c.task_id == task_id,
        xcom_table.c.map_index >= 0,
        xcom_table.c.key == "return_value",
    )
    return set(session.scalars(query))


def mappable_length(task_id: str, value: Any, missing: bool = False) -> int | str:
    """The number of mapped instances ``value`` (a task's return value) gives, or why not."""
    if missing:
        return f"task '{task_id}' returned nothing (no return_value XCom) to map over"
    if isinstance(value, list | dict):
        return len(value)
    return (
        f"task '{task_id}' returned {type(value).__name__} {str(value)[:80]!r}; only a list "
        "or a dict can be mapped over"
    )


class DatabaseXComReader:
    """``xcom_pull`` for workers: reads the Store directly (WAL readers never block writers)."""

    def __init__(self, database_url: str) -> None:
        self._url = database_url
        self._engine: Engine | None = None

    def _connect(self) -> Any:
        if self._engine is None:  # created lazily: workers fork before they need it
            self._engine = make_engine(self._url, write=False)
        return self._engine.connect()

    def read(
        self, dag_id: str, run_id: str, task_id: str, key: str, map_index: int = -1
    ) -> tuple[bool, Any]:
        """``(True, value)``, the value being a ``SealedXCom`` if it holds a secret."""
        query = select(xcom_table.c.value, xcom_table.c.sealed).where(
            xcom_table.c.dag_id == dag_id,
            xcom_table.c.run_id == run_id,
            xcom_table.c.task_id == task_id,
            xcom_table.c.map_index == map_index,
            xcom_table.c.key == key,
        )
        with self._connect() as connection:
            row = connection.execute(query).first()
        return (False, None) if row is None else (True, _loaded(*row))

    def read_mapped(
        self,
        dag_id: str,
        run_id: str,
        task_id: str,
        key: str,
        start: int = 0,
        stop: int | None = None,
    ) -> list[Any]:
        """The values of a mapped task's instances in ``map_index`` order (a slice of it)."""
        query = (
            select(xcom_table.c.value, xcom_table.c.sealed)
            .where(_mapped_rows(dag_id, run_id, task_id, key))
            .order_by(xcom_table.c.map_index)
            .offset(start)
        )
        if stop is not None:
            query = query.limit(max(0, stop - start))
        with self._connect() as connection:
            return [_loaded(*row) for row in connection.execute(query)]

    def count_mapped(self, dag_id: str, run_id: str, task_id: str, key: str) -> int:
        query = select(func.count()).where(_mapped_rows(dag_id, run_id, task_id, key))
        with self._connect() as connection:
            return int(connection.execute(query).scalar() or 0)


def _mapped_rows(dag_id: str, run_id: str, task_id: str, key: str) -> Any:
    return and_(
        xcom_table.c.dag_id == dag_id,
        xcom_table.c.run_id == run_id,
        xcom_table.c.task_id == task_id,
        xcom_table.c.map_index >= 0,
        xcom_table.c.key == key,
    )


def _loaded(text: str, token: str | None) -> Any:
    return SealedXCom(token) if token is not None else json.loads(text)


@lru_cache(maxsize=8)
def _reader(database_url: str) -> DatabaseXComReader:
    return DatabaseXComReader(database_url)


def xcom_reader_for(request: Any) -> DatabaseXComReader:
    """The XCom reader of a worker for ``request`` (one per database, reused across tries)."""
    if not request.database_url:
        raise ValueError(f"task request {request.key} carries no database_url to read XCom from")
    return _reader(request.database_url)
