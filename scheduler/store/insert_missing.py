"""``insert_if_missing``: create a shared row unless another process created it first.

Rows that every process may be the first to touch (a breaker, a bucket, a throttle) are
created with an ``INSERT`` that does nothing on a conflict, so two processes racing to create
the row both go on to lock and update the one row that exists.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Executable, Table
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.orm import Session


def insert_if_missing(
    session: Session, table: Table, values: dict[str, Any], exists: Callable[[], bool]
) -> None:
    """Insert ``values`` into ``table`` unless the row's key is taken; on a database without
    such an ``INSERT``, ``exists()`` is asked first (and a concurrent insert fails loudly)."""
    dialect = session.get_bind().dialect.name
    statement: Executable
    if dialect == "postgresql":
        statement = postgresql.insert(table).values(values).on_conflict_do_nothing()
    elif dialect == "sqlite":
        statement = sqlite.insert(table).values(values).on_conflict_do_nothing()
    elif dialect in ("mysql", "mariadb"):
        statement = mysql.insert(table).values(values).prefix_with("IGNORE")
    else:
        if exists():
            return
        statement = table.insert().values(values)
    session.execute(statement)
