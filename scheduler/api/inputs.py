"""Parsing what users type: a run's conf and logical date."""

from __future__ import annotations

import json
from datetime import datetime, tzinfo
from typing import Any

import pendulum

from scheduler.clock import utcnow
from scheduler.errors import BatonError
from scheduler.json_limits import JsonLimits, loads_limited


def parse_conf(text: str | None, limits: JsonLimits | None = None) -> dict[str, Any]:
    """Parse a ``--conf`` value: a JSON object within ``limits``, or a clear error."""
    if not text:
        return {}
    try:
        value = loads_limited(text, limits or JsonLimits(), "--conf")
    except json.JSONDecodeError as exc:
        raise BatonError(
            f"--conf is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno}); "
            'pass an object such as \'{"key": "value"}\''
        ) from None
    if not isinstance(value, dict):
        raise BatonError(
            f"--conf must be a JSON object, got {type(value).__name__}; "
            'pass e.g. \'{"key": "value"}\''
        )
    return value


def parse_logical_date(text: str | None) -> datetime | None:
    """ISO 8601 date or datetime; naive values are taken as UTC."""
    if not text:
        return None
    try:
        value = _parse_datetime(text)
    except ValueError:
        raise BatonError(
            f"logical date {text!r} is not an ISO 8601 date; use e.g. 2026-01-31 or "
            "2026-01-31T06:00:00+00:00"
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=utcnow().tzinfo)


def _parse_datetime(text: str) -> datetime:
    """ISO 8601 as Python reads it, else as pendulum does (what Airflow's CLI accepts)."""
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        parsed = pendulum.parse(text, strict=True)  # not dateutil guesses like "tuesday"
    if not isinstance(parsed, datetime):  # a bare time or a duration
        raise ValueError(text)
    return datetime.fromisoformat(parsed.isoformat())  # a plain datetime for the Store


def parse_timestamp(text: str, zone: tzinfo, option: str) -> datetime:
    """An ISO 8601 timestamp typed for ``option``; a naive value is taken in ``zone``."""
    try:
        value = _parse_datetime(text)
    except ValueError:
        raise BatonError(
            f"{option} {text!r} is not an ISO 8601 timestamp; use e.g. 2026-01-31 or "
            "'2026-01-31 00:00:00+01:00'"
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=zone)
