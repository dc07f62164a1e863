"""Paginated listings with their total row count (the REST API's ``total_entries``), each
a ``scheduler.paging.Page``.

Each page is two bounded queries: ``LIMIT/OFFSET`` for the rows, ``COUNT(*)`` with the
same filters for the total.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from scheduler.paging import Page
from scheduler.store.models import DagRow, DagRunRow, EventRow, ImportErrorRow

EVENT_FILTERS = frozenset({"dag_id", "run_id", "task_id", "event"})


def _page(session: Session, query: Select[Any], limit: int, offset: int) -> Page[Any]:
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = list(session.scalars(query.limit(limit).offset(offset)))
    return Page(offset, limit, total or 0, rows)


def dags_page(
    session: Session, *, limit: int, offset: int, include_inactive: bool = False
) -> Page[DagRow]:
    query = select(DagRow).order_by(col(DagRow.dag_id))
    if not include_inactive:
        query = query.where(col(DagRow.is_active).is_(True))
    return _page(session, query, limit, offset)


def runs_page(
    session: Session, dag_id: str, *, state: str | None, limit: int, offset: int
) -> Page[DagRunRow]:
    """Newest first, like ``baton runs list``."""
    query = (
        select(DagRunRow).where(col(DagRunRow.dag_id) == dag_id).order_by(col(DagRunRow.id).desc())
    )
    if state is not None:
        query = query.where(col(DagRunRow.state) == state)
    return _page(session, query, limit, offset)


def events_page(
    session: Session, *, filters: dict[str, str | None], limit: int, offset: int
) -> Page[EventRow]:
    """Newest first; ``filters`` maps dag_id/run_id/task_id/event to a value or None."""
    unknown = set(filters) - EVENT_FILTERS
    if unknown:
        raise ValueError(f"cannot filter events by {sorted(unknown)}; use {sorted(EVENT_FILTERS)}")
    query = select(EventRow).order_by(col(EventRow.id).desc())
    for name, value in filters.items():
        if value is not None:
            query = query.where(getattr(EventRow, name) == value)
    return _page(session, query, limit, offset)


def import_errors_page(session: Session, *, limit: int, offset: int) -> Page[ImportErrorRow]:
    query = select(ImportErrorRow).order_by(
        col(ImportErrorRow.filename), col(ImportErrorRow.lineno)
    )
    return _page(session, query, limit, offset)
