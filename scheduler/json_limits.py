"""Bounded JSON input: how deep and how large a run's conf (or any JSON body) may be.

A value nested hundreds of levels deep is valid JSON, but every recursive walk over it
(``json.loads``, masking secrets, rendering templates) hits Python's recursion limit; one such
conf, once stored, broke every listing of its DAG's runs. So the limits are checked before
anything parses deeply or stores anything: ``nesting_depth`` scans raw text without
recursion (one regular expression, in C), and ``value_depth`` walks a parsed value with an
explicit stack.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from scheduler.errors import ConfLimitError

if TYPE_CHECKING:
    from scheduler.settings import Settings

DEFAULT_MAX_DEPTH = 64
DEFAULT_MAX_BYTES = 64 * 1024

# A JSON string (skipped whole, brackets inside it do not count) or one bracket.
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


@dataclass(frozen=True)
class JsonLimits:
    """The most a conf may hold: levels of nesting and bytes of compact JSON."""

    max_depth: int = DEFAULT_MAX_DEPTH
    max_bytes: int = DEFAULT_MAX_BYTES

    @classmethod
    def from_settings(cls, settings: Settings) -> JsonLimits:
        return cls(settings.max_conf_depth, settings.max_conf_size)


def nesting_depth(text: str | bytes) -> int:
    """How deeply the JSON text nests arrays and objects (``{}``: 1, ``[[1]]``: 2).

    Works on any text, valid JSON or not, without recursion: safe before ``json.loads``.
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    depth = deepest = 0
    for match in _TOKEN.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif token in "]}":
            depth -= 1
    return deepest


def member_depths(text: str | bytes) -> dict[str, int]:
    """For a JSON object's text, how deeply each top-level member's value nests.

    ``{"conf": {"a": {}}}`` gives ``{"conf": 2}``: the request body's own level does not
    count, so the limit on a field reads the same as the limit on the value.
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    depths: dict[str, int] = {}
    depth, key = 0, None
    for match in _TOKEN.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if key is not None and depth >= 2:
                depths[key] = max(depths.get(key, 0), depth - 1)
        elif token in "]}":
            depth -= 1
        elif depth == 1 and _is_key(text, match.end()):
            key = _decode_key(token)
            depths.setdefault(key, 0)
    return depths


def _is_key(text: str, end: int) -> bool:
    rest = text[end : end + 64].lstrip()
    return rest.startswith(":")


def _decode_key(token: str) -> str:
    try:
        return str(json.loads(token))
    except ValueError:
        return token.strip('"')


def value_depth(value: Any) -> int:
    """How deeply a parsed value nests dicts and lists, walked with a stack (no recursion)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list | tuple):
            children = item
        else:
            continue
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in children)
    return deepest


def check_conf(conf: Any, limits: JsonLimits, what: str = "conf") -> None:
    """Refuse a conf deeper or larger than the limits (``ConfLimitError``, naming them)."""
    if conf is None:
        return
    depth = value_depth(conf)
    if depth > limits.max_depth:
        raise depth_error(what, depth, limits)
    try:
        size = len(json.dumps(conf, separators=(",", ":"), default=str).encode())
    except (TypeError, ValueError) as exc:
        raise ConfLimitError(f"{what} cannot be stored as JSON: {exc}", what) from None
    if size > limits.max_bytes:
        raise size_error(what, size, limits)


def loads_limited(text: str | bytes, limits: JsonLimits, what: str = "conf") -> Any:
    """``json.loads`` of a conf's text after checking its size and depth on the raw text,
    so nothing deeper than the limit is ever parsed. ``ValueError`` for invalid JSON."""
    size = len(text.encode() if isinstance(text, str) else text)
    if size > limits.max_bytes:
        raise size_error(what, size, limits)
    depth = nesting_depth(text)
    if depth > limits.max_depth:
        raise depth_error(what, depth, limits)
    return json.loads(text)


def depth_error(what: str, depth: int, limits: JsonLimits) -> ConfLimitError:
    return ConfLimitError(
        f"{what} is nested {depth} levels deep; the limit is {limits.max_depth} "
        "(BATON_MAX_CONF_DEPTH): flatten it, or pass a reference (a path, an id) instead",
        what,
    )


def size_error(what: str, size: int, limits: JsonLimits) -> ConfLimitError:
    return ConfLimitError(
        f"{what} is {size} bytes of JSON; the limit is {limits.max_bytes} "
        "(BATON_MAX_CONF_SIZE): pass a reference to the data (a path, a URL, an id) instead",
        what,
    )
