"""Typed access where the ORM's annotations and what the database returns differ.

A table model's fields are annotated as Python values (``id: int | None``), its Core table
is set by SQLModel's metaclass without a declaration, and ``Session.execute`` is annotated
to return a ``Result`` even for an INSERT, UPDATE or DELETE (whose result is a
``CursorResult``, with ``rowcount`` and ``inserted_primary_key``): these helpers give the rest
of the Store the types the values really have, in one place.
"""

from __future__ import annotations

from typing import Any, Protocol, cast

from sqlalchemy import Column, CursorResult, Executable, Table
from sqlalchemy.orm import Session
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


def key_column(model: type[SQLModel]) -> Column[int]:
    """The ``id`` column of a table model, typed as what a stored row holds: SQLModel types
    the field ``int | None`` (a new row has none until flushed), the column is NOT NULL."""
    return table_of(model).c.id


def stored_id(row: _Keyed) -> int:
    """The autoincrement key of a row read from the database or flushed to it (SQLModel
    types it ``int | None`` because a new row has none until then)."""
    if row.id is None:
        raise RuntimeError(f"{type(row).__name__} has no id yet: flush the session first")
    return row.id


def execute_write(session: Session, statement: Executable) -> CursorResult[Any]:
    """``session.execute`` of an INSERT, UPDATE or DELETE, typed as what it returns."""
    return cast(CursorResult[Any], session.execute(statement))


def inserted_id(session: Session, statement: Executable) -> int:
    """Run a one-row INSERT and return the key the database gave the row."""
    key = execute_write(session, statement).inserted_primary_key
    if key is None or key[0] is None:
        raise RuntimeError("the INSERT returned no primary key: was it a one-row INSERT?")
    return int(key[0])
