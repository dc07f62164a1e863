"""``BreakerPolicy``: when a connection's circuit opens and how long it stays open.

Set per connection through its extras (all optional)::

    {"breaker_failure_threshold": 5,     # consecutive failures that open the circuit (0: off)
     "breaker_failure_rate": 0.5,        # or this share of failed calls in the window (off)
     "breaker_window_s": 60,             # the window of the failure rate
     "breaker_min_calls": 10,            # calls in the window before the rate counts
     "breaker_reset_timeout_s": 30,      # open → half-open after this cool-down
     "breaker_when_open": "fail",        # "fail": fail fast; "wait": wait for the cool-down
     "breaker_max_wait_s": 300,          # "wait" gives up (retryable error) after this
     "breaker_failure_statuses": [429, 502, 503, 504],   # answers that signal an outage
                                         #   (without 429 when "adaptive" is on)
     "breaker_enabled": true}

Only what signals an outage counts as a failure: no answer (a connection error, a timeout)
and, for hooks that get a status (HTTP), an answer whose status is in
``breaker_failure_statuses``. Any other answer — a 404, a 409, a 500 by default, and any
response the caller classifies as a business error — shows the service is up: one
refused payment must not cut every order off from the payment service.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from scheduler.errors import BreakerConfigError

PREFIX = "breaker_"
WHEN_OPEN = ("fail", "wait")
#: Too many requests, bad gateway, unavailable, gateway timeout: the service (or the way to
#: it) is down or overloaded. A plain 500 is often a handled error, so it is not in the list.
OUTAGE_STATUSES = (429, 502, 503, 504)
#: On a connection with adaptive throttling (``{"adaptive": true}``) a 429 is the throttle's
#: to handle (it slows the calls down): by default the breaker counts only the service down.
THROTTLED_OUTAGE_STATUSES = (502, 503, 504)
TRUE_WORDS = ("1", "true", "yes", "on")  # how a URI's extra writes true


@dataclass(frozen=True)
class BreakerPolicy:
    """The thresholds of one connection's breaker; defaults suit most HTTP services."""

    failure_threshold: int = 5
    failure_rate: float | None = None
    window_s: float = 60.0
    min_calls: int = 10
    reset_timeout_s: float = 30.0
    when_open: str = "fail"
    max_wait_s: float = 300.0
    failure_statuses: tuple[int, ...] = OUTAGE_STATUSES
    enabled: bool = True

    def __post_init__(self) -> None:
        _check(self.failure_threshold >= 0, "failure_threshold", self.failure_threshold, ">= 0")
        rate = self.failure_rate
        _check(rate is None or 0 < rate <= 1, "failure_rate", rate, "in (0, 1], e.g. 0.5")
        _check(self.window_s > 0, "window_s", self.window_s, "> 0 seconds")
        _check(self.min_calls >= 1, "min_calls", self.min_calls, ">= 1")
        _check(self.reset_timeout_s >= 0, "reset_timeout_s", self.reset_timeout_s, ">= 0")
        _check(self.when_open in WHEN_OPEN, "when_open", self.when_open, "'fail' or 'wait'")
        _check(self.max_wait_s >= 0, "max_wait_s", self.max_wait_s, ">= 0 seconds")
        statuses = self.failure_statuses
        _check(
            all(isinstance(s, int) and 100 <= s <= 599 for s in statuses),
            "failure_statuses",
            list(statuses),
            "a list of HTTP statuses (100-599), e.g. [429, 502, 503, 504]",
        )

    def is_outage_status(self, status: int) -> bool:
        """Whether an answer with ``status`` counts as the service failing."""
        return status in self.failure_statuses

    @property
    def probe_timeout_s(self) -> float:
        """A probe held longer than this is presumed lost (its process died): re-claimable."""
        return max(self.reset_timeout_s, 60.0)

    @classmethod
    def from_extra(cls, extra: Mapping[str, Any] | None, conn_id: str = "?") -> BreakerPolicy:
        """The policy in a connection's extras (``breaker_*`` keys); defaults elsewhere."""
        values: dict[str, Any] = {}
        types = {f.name: f.type for f in fields(cls)}
        for key, raw in (extra or {}).items():
            if not key.startswith(PREFIX):
                continue
            name = key[len(PREFIX) :]
            if name not in types:
                known = ", ".join(PREFIX + n for n in types)
                raise BreakerConfigError(
                    f"connection '{conn_id}': unknown extra '{key}'; the breaker settings are "
                    f"{known}"
                )
            values[name] = _convert(conn_id, key, raw, str(types[name]))
        if "failure_statuses" not in values and _adaptive(extra or {}):
            values["failure_statuses"] = THROTTLED_OUTAGE_STATUSES
        try:
            return cls(**values)
        except BreakerConfigError as exc:
            raise BreakerConfigError(f"connection '{conn_id}': {exc}") from None


def _adaptive(extra: Mapping[str, Any]) -> bool:
    value = extra.get("adaptive")
    return value is True or str(value).strip().lower() in TRUE_WORDS


def _convert(conn_id: str, key: str, raw: Any, type_name: str) -> Any:
    """Extras from a URI arrive as strings: ``"5"``, ``"0.5"``, ``"true"``."""
    try:
        if raw is None:
            return None
        if type_name.startswith("int"):
            return int(raw)
        if type_name.startswith("float"):
            return float(raw)
        if type_name.startswith("tuple"):
            return _statuses(raw)
        if type_name.startswith("bool"):
            return raw if isinstance(raw, bool) else str(raw).lower() in ("1", "true", "yes", "on")
        return str(raw)
    except (TypeError, ValueError):
        raise BreakerConfigError(
            f"connection '{conn_id}': extra {key}={raw!r} is not {_kind(type_name)}"
        ) from None


def _kind(type_name: str) -> str:
    if type_name.startswith("tuple"):
        return "a list of HTTP statuses, e.g. [429, 502, 503, 504]"
    return f"a {type_name.split()[0]}"


def _statuses(raw: Any) -> tuple[int, ...]:
    """A list of statuses: a JSON list, or ``"429,502"`` as a URI's extra gives it."""
    if isinstance(raw, str):
        text = raw.strip()
        raw = json.loads(text) if text.startswith("[") else [p for p in text.split(",") if p]
    if not isinstance(raw, list | tuple):
        raise TypeError(raw)
    return tuple(int(value) for value in raw)


def _check(ok: bool, name: str, value: Any, expected: str) -> None:
    if not ok:
        raise BreakerConfigError(f"{PREFIX}{name}={value!r} must be {expected}")
