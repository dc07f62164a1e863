"""JSON for trigger kwargs and event payloads: datetimes and timedeltas survive the trip.

Trigger kwargs are stored in the ``trigger`` table and event payloads in
``task_instance.next_kwargs``; both are JSON columns, and both must come back as the values
the trigger and the task gave (a ``DateTimeTrigger``'s moment is a datetime again).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from scheduler.errors import BatonError

_TYPE = "__baton_type"


def encode(value: Any, where: str = "trigger kwargs") -> Any:
    """``value`` as JSON-safe data; raise naming ``where`` and the type if it cannot be."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise BatonError(
                f"{where}: datetime {value.isoformat()} has no time zone; give an aware "
                "datetime (pendulum or datetime with tzinfo)"
            )
        return {_TYPE: "datetime", "value": value.isoformat()}
    if isinstance(value, timedelta):
        return {_TYPE: "timedelta", "value": value.total_seconds()}
    if isinstance(value, list | tuple):
        return [encode(v, where) for v in value]
    if isinstance(value, dict):
        bad = [k for k in value if not isinstance(k, str)]
        if bad:
            raise BatonError(f"{where}: dict keys must be strings, not {bad[0]!r}")
        return {k: encode(v, where) for k, v in value.items()}
    raise BatonError(
        f"{where}: a {type(value).__name__} cannot be stored; use JSON values, datetimes or "
        "timedeltas"
    )


def decode(value: Any) -> Any:
    """The inverse of ``encode``."""
    if isinstance(value, list):
        return [decode(v) for v in value]
    if isinstance(value, dict):
        kind = value.get(_TYPE)
        if kind == "datetime":
            return datetime.fromisoformat(value["value"])
        if kind == "timedelta":
            return timedelta(seconds=value["value"])
        return {k: decode(v) for k, v in value.items()}
    return value
