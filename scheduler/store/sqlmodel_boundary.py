"""Typed access where SQLModel's annotations and what the database holds differ.

A table model's fields are annotated as Python values (``id: int | None``) and its Core
table is set by SQLModel's metaclass without a declaration: these helpers give the rest of
the Store the types the rows really have, in one place.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import Table
from sqlmodel import SQLModel


class _Keyed(Protocol):
    @property
    def id(self) -> int | None: ...


def table_of(model: type[SQLModel]) -> Table:
    """The Core ``Table`` of a table model (``table=True``)."""
    # SQLModel's metaclass sets __table__ on table models but never declares it.
    table = model.__table__  # type: ignore[attr-defined]
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not a table model (table=True)")
    return table


def stored_id(row: _Keyed) -> int:
    """The autoincrement key of a row read from the database or flushed to it (SQLModel
    types it ``int | None`` because a new row has none until then)."""
    if row.id is None:
        raise RuntimeError(f"{type(row).__name__} has no id yet: flush the session first")
    return row.id
