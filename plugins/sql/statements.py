"""Splitting a script into statements, and making result rows JSON for XCom.

The splitter knows enough SQL to leave alone a ``;`` inside quotes (``'...'``, ``"..."``,
backticks), comments (``--`` and ``/* */``) and PostgreSQL dollar quotes (``$$ ... $$``,
``$tag$ ... $tag$``): what migration-style scripts contain. MySQL's ``DELIMITER`` is a
client command, not SQL, and is not understood.
"""

from __future__ import annotations

import base64
import re
import uuid
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

_DOLLAR_TAG = re.compile(r"\$[A-Za-z_0-9]*\$")


def split_sql(script: str) -> list[str]:
    """The statements of ``script`` without their ``;``; empty ones dropped."""
    statements: list[str] = []
    start = i = 0
    while i < len(script):
        end = _skip_quoted(script, i)
        if end != i:
            i = end
            continue
        if script[i] == ";":
            statements.append(script[start:i])
            start = i + 1
        i += 1
    statements.append(script[start:])
    return [s.strip() for s in statements if _has_code(s)]


def _skip_quoted(script: str, i: int) -> int:
    """The index after the quoted text or comment starting at ``i`` (``i`` if none)."""
    char, pair = script[i], script[i : i + 2]
    if char in "'\"`":
        return _after_closing(script, i + 1, char)
    if pair == "--":
        newline = script.find("\n", i)
        return len(script) if newline < 0 else newline + 1
    if pair == "/*":
        close = script.find("*/", i + 2)
        return len(script) if close < 0 else close + 2
    if char == "$":
        tag = _DOLLAR_TAG.match(script, i)
        if tag:
            close = script.find(tag.group(), tag.end())
            return len(script) if close < 0 else close + len(tag.group())
    return i


def _after_closing(script: str, i: int, quote: str) -> int:
    while i < len(script):
        if script[i] == "\\" and quote != "`":
            i += 2
            continue
        if script[i] == quote:
            if script[i + 1 : i + 2] == quote:  # '' is an escaped quote
                i += 2
                continue
            return i + 1
        i += 1
    return i


def _has_code(statement: str) -> bool:
    """False for a fragment that is only whitespace and comments."""
    i = 0
    while i < len(statement):
        if statement[i].isspace():
            i += 1
            continue
        end = _skip_quoted(statement, i)
        if end != i and statement[i] in "-/":
            i = end
            continue
        return True
    return False


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
