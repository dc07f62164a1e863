"""The append-only event log: who changed what, from which state to which, and when."""

from __future__ import annotations

import getpass
import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session
from sqlmodel import col

from scheduler.masking import redact
from scheduler.store.models import EventRow, event_table


def process_source(role: str) -> str:
    """``role:pid@host``, e.g. ``scheduler:4242@node1``; the CLI adds the user name."""
    who = f"{getpass.getuser()}@" if role == "cli" else ""
    return f"{role}:{who}{os.getpid()}@{socket.gethostname()}"


@dataclass(frozen=True)
class Event:
    event: str
    ts: datetime
    source: str
    dag_id: str | None = None
    run_id: str | None = None
    task_id: str | None = None
    map_index: int | None = None
    try_number: int | None = None
    old_state: str | None = None
    new_state: str | None = None
    detail: str | None = None

    @classmethod
    def of_change(cls, event: str, change: Any, source: str, now: datetime) -> Event:
        """The event of a task state change (``TaskChange`` or ``CompensationChange``)."""
        return cls(
            event=event,
            ts=now,
            source=source,
            dag_id=change.dag_id,
            run_id=change.run_id,
            task_id=change.task_id,
            map_index=_map_index(change),
            try_number=change.try_number,
            old_state=change.old,
            new_state=change.new,
            detail=change.detail,
        )

    def row(self) -> dict[str, Any]:
        row = self.__dict__.copy()
        if row["detail"]:  # an error message may quote a secret the process has seen
            row["detail"] = redact(row["detail"])
        return row


def _map_index(change: Any) -> int | None:
    map_index = getattr(change, "map_index", -1)
    return map_index if map_index >= 0 else None


_INSERT_EVENT = insert(event_table)


def append_events(session: Session, events: Sequence[Event]) -> None:
    if events:
        session.connection().execute(_INSERT_EVENT, [e.row() for e in events])


def list_events(
    session: Session,
    *,
    dag_id: str | None = None,
    run_id: str | None = None,
    task_id: str | None = None,
    event: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[EventRow]:
    query = select(EventRow).order_by(col(EventRow.id).desc()).limit(limit).offset(offset)
    for column, value in (
        (col(EventRow.dag_id), dag_id),
        (col(EventRow.run_id), run_id),
        (col(EventRow.task_id), task_id),
        (col(EventRow.event), event),
    ):
        if value is not None:
            query = query.where(column == value)
    return list(session.scalars(query))
