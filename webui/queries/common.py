"""Helpers shared by the page queries: SQL time arithmetic per back end (pages of rows are
``scheduler.paging.Page``).

The queries read with SQLAlchemy Core, selecting only the columns a page shows: building ORM
objects (and parsing JSON specs) for thousands of rows would cost more than the SQL.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Date, Float, cast, func, literal
from sqlalchemy.orm import Session

from scheduler.store.types import UtcDateTime


def seconds_between(session: Session, start: Any, end: Any) -> ColumnElement[float]:
    """``end - start`` in seconds, as SQL: SQLite has no interval type, PostgreSQL no julianday."""
    if session.get_bind().dialect.name == "sqlite":
        return cast((func.julianday(end) - func.julianday(start)) * 86400.0, Float)
    return cast(func.extract("epoch", end - start), Float)  # numeric on PostgreSQL: a float


def bind_time(value: datetime) -> Any:
    """A datetime literal stored the way UtcDateTime stores columns (naive UTC on SQLite)."""
    return literal(value, UtcDateTime())


def day_of(session: Session, column: Any) -> ColumnElement[Any]:
    """The UTC calendar day of a stored datetime, as SQL: SQLite's ``date()`` gives text
    ("2026-12-03"), PostgreSQL's cast a ``date`` (both read back with ``str()``)."""
    if session.get_bind().dialect.name == "sqlite":
        return func.date(column)
    return cast(column, Date)
