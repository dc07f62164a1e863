"""Splitting a script into statements, and making result rows JSON for XCom.

Statements are split by ``sqlparse`` (as Airflow's ``DbApiHook.split_sql_string``): a ``;``
inside quotes (``'...'``, ``"..."``, backticks), comments (``--``, ``#`` and ``/* */``),
PostgreSQL dollar quotes (``$$ ... $$``, ``$tag$ ... $tag$``) or a ``BEGIN ... END`` body
(a MySQL/MariaDB procedure or trigger) does not end a statement. Unlike Airflow, comments
inside a statement are kept (optimizer hints live in them); each statement loses its ``;``
and the comments after it, and a fragment that is only comments is dropped. MySQL's
``DELIMITER`` is a client command, not SQL, and is not understood: end a procedure with
``END;`` instead.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import sqlparse
from sqlparse import tokens as T


def split_sql(script: str) -> list[str]:
    """The statements of ``script`` without their ``;``; empty and comment-only ones dropped."""
    statements = (_trimmed(piece) for piece in sqlparse.split(script))
    return [statement for statement in statements if statement]


def _trimmed(piece: str) -> str:
    """``piece`` from its first to its last token of code: no trailing ``;`` nor comments.

    ``""`` when it holds no code at all (blank, only comments, a stray ``;``).
    """
    parsed = sqlparse.parse(piece)
    flat = [token for statement in parsed for token in statement.flatten()]
    code = [i for i, token in enumerate(flat) if _is_code(token)]
    if not code:
        return ""
    return "".join(str(token) for token in flat[: code[-1] + 1]).strip()


def _is_code(token: sqlparse.sql.Token) -> bool:
    if token.is_whitespace or token.ttype in T.Comment:
        return False
    return not (token.ttype is T.Punctuation and token.value == ";")


def json_value(value: Any) -> Any:
    """A database value as JSON: dates in ISO 8601, decimals as numbers, bytes as base64."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_value(v) for v in value]
    return str(value)


def json_rows(rows: Iterable[Sequence[Any]], columns: Sequence[str], as_dicts: bool) -> list[Any]:
    """Rows as JSON lists (Airflow's default) or as dicts keyed by column name."""
    if as_dicts:
        return [{c: json_value(v) for c, v in zip(columns, row, strict=False)} for row in rows]
    return [[json_value(v) for v in row] for row in rows]
