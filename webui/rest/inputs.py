"""Strict reading of API input: query parameters and JSON bodies.

Anything unexpected (bad JSON, a wrong type, an unknown field, a limit out of range) raises
``ApiError`` naming the field, so the client learns exactly what to fix.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import request

from scheduler.json_limits import JsonLimits, depth_error, member_depths, nesting_depth
from scheduler.paging import Page
from webui.auth.identity import settings
from webui.rest.errors import ApiError

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
MAX_OFFSET = 10**9


def int_arg(name: str, default: int | None, *, low: int, high: int) -> int | None:
    """Query parameter ``name`` as an int in [low, high]."""
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, f"{name}={raw!r} is not an integer", name) from None
    if not low <= value <= high:
        raise ApiError(400, f"{name}={value} is out of range; use {low} to {high}", name)
    return value


def float_arg(name: str, default: float, *, low: float, high: float) -> float:
    """Query parameter ``name`` as a number in (low, high]."""
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ApiError(400, f"{name}={raw!r} is not a number", name) from None
    if not low < value <= high:  # also refuses nan and inf
        raise ApiError(
            400, f"{name}={raw} is out of range; use more than {low:g} up to {high:g}", name
        )
    return value


def bool_arg(name: str) -> bool:
    """Query parameter ``name`` as a boolean (``true``/``false``, absent: false)."""
    return bool(optional_bool_arg(name))


def optional_bool_arg(name: str) -> bool | None:
    """Query parameter ``name`` as a boolean, None when absent (a filter not applied)."""
    raw = request.args.get(name)
    if raw is None:
        return None
    if raw.lower() in {"true", "1"}:
        return True
    if raw.lower() in {"false", "0"}:
        return False
    raise ApiError(400, f"{name}={raw!r} is not a boolean; use true or false", name)


def paging() -> Page[Any]:
    """The window a listing asks for: ``limit`` (1 to MAX_LIMIT, default 100) and ``offset``
    (from 0); the query fills in its rows and total."""
    limit = int_arg("limit", DEFAULT_LIMIT, low=1, high=MAX_LIMIT)
    offset = int_arg("offset", 0, low=0, high=MAX_OFFSET)
    assert limit is not None and offset is not None
    return Page(offset, limit)


def choice_arg(name: str, choices: frozenset[str]) -> str | None:
    raw = request.args.get(name)
    if raw is not None and raw not in choices:
        raise ApiError(400, f"{name}={raw!r} is not one of {', '.join(sorted(choices))}", name)
    return raw


def json_body(fields: dict[str, type | tuple[type, ...]], required: set[str]) -> dict[str, Any]:
    """The request's JSON object, checked against ``fields`` (name → accepted types)."""
    if not request.is_json:
        raise ApiError(
            415,
            f"send the body as JSON with 'Content-Type: application/json' "
            f"(got {request.mimetype or 'no content type'!r})",
            "body",
        )
    _check_depth(request.get_data())
    body = request.get_json(silent=True)
    if body is None and request.get_data():
        raise ApiError(400, "the body is not valid JSON", "body")
    if not isinstance(body, dict):
        raise ApiError(400, f"the body must be a JSON object, got {_kind(body)}", "body")
    unknown = sorted(set(body) - set(fields))
    if unknown:
        raise ApiError(
            400, f"unknown field {unknown[0]!r}; accepted fields: {', '.join(fields)}", unknown[0]
        )
    for name in sorted(required - set(body)):
        raise ApiError(400, f"field {name!r} is required", name)
    for name, value in body.items():
        _check_type(name, value, fields[name])
    return body


def _check_depth(raw: bytes) -> None:
    """Refuse a body nested deeper than BATON_MAX_CONF_DEPTH before parsing it: parsing
    (and every walk after it) recurses, and a deep enough body would crash the request.

    Each field's value is measured on its own, so the message names the field and reads as
    the limit does (``conf`` nested 65 levels, not the body 66).
    """
    limits = JsonLimits.from_settings(settings())
    depth = nesting_depth(raw)
    if depth <= limits.max_depth:
        return
    is_object = raw.lstrip().startswith(b"{")
    members = member_depths(raw) if is_object else {}
    for name, member_depth in sorted(members.items(), key=lambda item: -item[1]):
        if member_depth > limits.max_depth:
            raise ApiError(400, str(depth_error(name, member_depth, limits)), name)
    if depth > limits.max_depth + is_object:  # not valid JSON, or not an object
        raise ApiError(400, str(depth_error("the body", depth, limits)), "body")


def _check_type(name: str, value: Any, accepted: type | tuple[type, ...]) -> None:
    kinds = accepted if isinstance(accepted, tuple) else (accepted,)
    # bool is an int in Python, not in JSON: "limit": true must not pass as 1.
    ok = isinstance(value, kinds) and not (isinstance(value, bool) and bool not in kinds)
    if not ok:
        wanted = " or ".join(_JSON_NAMES.get(k, k.__name__) for k in kinds)
        raise ApiError(400, f"field {name!r} must be {wanted}, got {_kind(value)}", name)


def string_list(name: str, value: list[Any]) -> list[str]:
    if not value or not all(isinstance(v, str) and v for v in value):
        raise ApiError(400, f"field {name!r} must be a non-empty list of non-empty strings", name)
    return value


def parse_datetime(name: str, value: str) -> datetime:
    """An RFC 3339 / ISO 8601 date-time; naive values are taken as UTC."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ApiError(
            400,
            f"{name}={value!r} is not an ISO 8601 date-time; use e.g. 2026-01-31T06:00:00Z",
            name,
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


_JSON_NAMES = {
    dict: "an object",
    list: "an array",
    str: "a string",
    bool: "a boolean",
    int: "an integer",
    float: "a number",
    type(None): "null",
}


def _kind(value: Any) -> str:
    return _JSON_NAMES.get(type(value), type(value).__name__)
