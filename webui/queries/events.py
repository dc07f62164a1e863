"""The event log page and the import errors page.

The event log only grows, so it pages by id ("older than event N") instead of by offset:
each page costs the same however deep one goes, and no COUNT over the whole log is needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from scheduler.store import dags as dag_store
from scheduler.store.models import ImportErrorRow, event_table

EVENT_TYPES = (
    "run_created",
    "run_state",
    "task_state",
    "user_action",
    "trigger",
    "pause",
    "unpause",
    "login",
    "login_failed",
    "user_create",
    "user_delete",
    "token_create",
    "token_revoke",
)
"""The event types offered by the filter (any other value typed in works too)."""


@dataclass(frozen=True)
class EventFilters:
    dag_id: str = ""
    run_id: str = ""
    task_id: str = ""
    event: str = ""


def events(
    session: Session, filters: EventFilters, before_id: int | None, limit: int = 50
) -> tuple[list[Row[*tuple[Any, ...]]], int | None]:
    """Newest first, up to ``limit`` events older than ``before_id``; and the id to pass for
    the next (older) page, or None at the end of the log."""
    e = event_table.c
    query = select(event_table).order_by(e.id.desc()).limit(limit + 1)
    for column, value in (
        (e.dag_id, filters.dag_id),
        (e.run_id, filters.run_id),
        (e.task_id, filters.task_id),
        (e.event, filters.event),
    ):
        if value:
            query = query.where(column == value)
    if before_id is not None:
        query = query.where(e.id < before_id)
    rows = session.execute(query).all()
    older = rows[limit - 1].id if len(rows) > limit else None
    return list(rows[:limit]), older


def import_errors(session: Session) -> list[ImportErrorRow]:
    return dag_store.list_import_errors(session)
