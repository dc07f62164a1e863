"""Secret masking: a process-wide set of secret values, replaced by ``***`` wherever we write.

Connections and variables register their secrets here when they are loaded
(``mask_secret``); the try's log capture, the rendered-field lines, the CLI, the event log
and the web UI pass text through ``redact`` before it leaves the process. This is Airflow's
secrets masker: it can only hide what this process has seen, so secrets are registered at
the moment they are read, before a task can print them.

Values shorter than ``MIN_LENGTH_TO_MASK`` are not masked (as in Airflow): hiding every
``"a"`` or ``"1"`` would make logs unreadable and protect nothing.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, quote_plus

REDACTED = "***"
MIN_LENGTH_TO_MASK = 5

SENSITIVE_WORDS: tuple[str, ...] = (
    "access_token",
    "api_key",
    "apikey",
    "authorization",
    "passphrase",
    "passwd",
    "password",
    "private_key",
    "secret",
    "token",
    "credential",
)
"""A key containing one of these (case-insensitive) holds a secret: a connection's extra
field, a variable key, a dict key in a rendered template field (Airflow's list, plus a few)."""


class SecretsMasker:
    """The set of secrets of one process and the compiled pattern that finds them."""

    def __init__(self) -> None:
        self._secrets: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self._byte_pattern: re.Pattern[bytes] | None = None
        self._longest_bytes = 0
        self._generation = 0  # bumped by clear(): what was registered before is gone
        self._lock = threading.Lock()

    def add(self, value: Any) -> None:
        """Mask ``value`` (a str, or every string inside a dict/list) from now on."""
        found = set(_variants_of(value))
        with self._lock:
            if found <= self._secrets:
                return
            self._secrets |= found
            # Longest first, so a secret containing another is replaced whole.
            ordered = sorted(self._secrets, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(s) for s in ordered))
            encoded = [s.encode("utf-8", "replace") for s in ordered]
            self._byte_pattern = re.compile(b"|".join(re.escape(s) for s in encoded))
            self._longest_bytes = max(len(s) for s in encoded)

    def redact(self, text: str) -> str:
        pattern = self._pattern  # one read: a concurrent add() swaps in a new pattern
        if pattern is None or not text:
            return text
        return pattern.sub(REDACTED, text)

    def found_in(self, text: str) -> set[str]:
        """The registered secrets (in any of their printed forms) that ``text`` contains."""
        pattern = self._pattern
        return set(pattern.findall(text)) if pattern is not None and text else set()

    def byte_spans(self, data: bytes) -> list[tuple[int, int]]:
        """Where the registered secrets (UTF-8 encoded) lie in ``data``: ``(start, end)``s."""
        pattern = self._byte_pattern
        return [m.span() for m in pattern.finditer(data)] if pattern is not None else []

    @property
    def longest_bytes(self) -> int:
        return self._longest_bytes

    @property
    def generation(self) -> int:
        return self._generation

    def clear(self) -> None:
        with self._lock:
            self._secrets.clear()
            self._pattern = None
            self._byte_pattern = None
            self._longest_bytes = 0
            self._generation += 1

    def __len__(self) -> int:
        return len(self._secrets)


_masker = SecretsMasker()


def mask_secret(value: Any) -> None:
    """Hide ``value`` from every log line and output of this process (Airflow's name)."""
    _masker.add(value)


def redact(text: str) -> str:
    """``text`` with each known secret replaced by ``***``."""
    return _masker.redact(text)


def secrets_in(text: str) -> set[str]:
    """The known secrets ``text`` contains, as they appear in it."""
    return _masker.found_in(text)


def redact_bytes(data: bytes, start: int = 0, end: int | None = None) -> str:
    """``data[start:end]`` decoded (leniently), each known secret that overlaps it replaced
    by ``***``, including one the range cuts: the bytes around the range are what let a
    reader of one chunk of a file find a secret that begins or ends outside the chunk
    (pass ``secret_context()`` bytes either side)."""
    end = len(data) if end is None else end
    pieces, position = [], start
    for found_start, found_end in _masker.byte_spans(data):
        if found_end <= position or found_start >= end:
            continue
        pieces.append(data[position:found_start] if found_start > position else b"")
        pieces.append(REDACTED.encode())
        position = min(found_end, end)
        if position >= end:
            break
    pieces.append(data[position:end])
    return b"".join(pieces).decode("utf-8", "replace")


def secret_context() -> int:
    """How many bytes either side of a chunk ``redact_bytes`` needs to see every secret that
    overlaps the chunk whole: the longest known secret's."""
    return _masker.longest_bytes


# Deeper than this, a value is hidden whole rather than walked: two frames a level would
# reach Python's recursion limit near 500 levels (a conf stored before BATON_MAX_CONF_DEPTH
# existed once broke every listing of its DAG's runs that way).
MAX_REDACT_DEPTH = 250


def redact_value(value: Any, key: str | None = None, _depth: int = 0) -> Any:
    """A copy of a JSON-like value with secrets hidden: known values, and whole values
    under a sensitive key (``{"api_key": "..."}`` → ``{"api_key": "***"}``)."""
    if key is not None and is_sensitive_key(key) and value not in (None, ""):
        return REDACTED
    if isinstance(value, str):
        return redact(value)
    if _depth >= MAX_REDACT_DEPTH and isinstance(value, Mapping | list | tuple):
        return REDACTED
    if isinstance(value, Mapping):
        return {k: redact_value(v, str(k), _depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_value(v, None, _depth + 1) for v in value]
    if isinstance(value, tuple) and not hasattr(value, "_fields"):  # keep a named tuple
        return tuple(redact_value(v, None, _depth + 1) for v in value)
    return value


def is_sensitive_key(key: str) -> bool:
    """Whether a field or variable named ``key`` holds a secret (see ``SENSITIVE_WORDS``)."""
    lowered = key.lower()
    return any(word in lowered for word in SENSITIVE_WORDS)


def mask_sensitive_fields(data: Any) -> None:
    """Register the values under sensitive keys of a (nested) dict, e.g. a connection extra."""
    if isinstance(data, Mapping):
        for key, value in data.items():
            if is_sensitive_key(str(key)):
                mask_secret(value)
            else:
                mask_sensitive_fields(value)
    elif isinstance(data, list | tuple):
        for item in data:
            mask_sensitive_fields(item)


def clear_secrets() -> None:
    """Forget every registered secret (tests, and a worker starting afresh)."""
    _masker.clear()


def secrets_generation() -> int:
    """Changes whenever the registered secrets are forgotten (``clear_secrets``): a caller
    that registered some and remembers it must register them again."""
    return _masker.generation


def _variants_of(value: Any) -> Iterable[str]:
    """The strings of ``value`` and the forms they take when printed: a line of a multi-line
    secret, its ``repr``/JSON escaping, its URL encoding (a connection URI)."""
    if isinstance(value, Mapping):
        for item in value.values():
            yield from _variants_of(item)
        return
    if isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from _variants_of(item)
        return
    if value is None or isinstance(value, bool):
        return
    text = str(value)
    forms = {text, repr(text)[1:-1], json.dumps(text)[1:-1], quote(text, safe=""), quote_plus(text)}
    forms.update(line.strip() for line in text.splitlines())
    yield from (form for form in forms if len(form) >= MIN_LENGTH_TO_MASK)
