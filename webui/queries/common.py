"""Helpers shared by the page queries: pages of rows, and SQL time arithmetic per back end.

The queries read with SQLAlchemy Core, selecting only the columns a page shows: building ORM
objects (and parsing JSON specs) for thousands of rows would cost more than the SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Date, Float, cast, func, literal
from sqlalchemy.orm import Session

from scheduler.store.types import UtcDateTime

PAGE_SIZE = 25
MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class Page:
    """One page of a longer list: 1-based ``number``, ``size`` rows, ``total`` in all."""

    number: int
    size: int
    total: int

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def has_prev(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    @property
    def first_row(self) -> int:
        return min(self.total, self.offset + 1)

    @property
    def last_row(self) -> int:
        return min(self.total, self.offset + self.size)


def page_request(number: Any, size: Any = PAGE_SIZE, total: int = 0) -> Page:
    """A Page from query-string values: anything malformed falls back to page 1 / the default
    size, and the number is kept within the pages that exist."""
    size_value = _positive_int(size, PAGE_SIZE)
    size_value = min(size_value, MAX_PAGE_SIZE)
    page = Page(1, size_value, total)
    return Page(min(_positive_int(number, 1), page.pages), size_value, total)


def _positive_int(value: Any, default: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    return number if number > 0 else default


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
