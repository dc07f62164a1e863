"""``ThrottlePolicy``: how a connection's adaptive throttling reacts, from its extras.

Opt in per connection (all but ``adaptive`` optional)::

    {"adaptive": true,
     "adaptive_max_rate": "20/s",     # the ceiling it recovers to (default: rate_limit, else 10/s)
     "adaptive_min_rate": "1/m",      # it never slows below this
     "adaptive_initial_rate": "20/s", # where a new connection starts (default: the max)
     "adaptive_increase": 1.0,        # calls/s added per second of successful calls
                                      #   (default: a twentieth of the max rate)
     "adaptive_decrease": 0.5,        # the rate is multiplied by this on a push-back
     "adaptive_probe_after_s": 60,    # how long it stays below the last push-back's rate
     "adaptive_statuses": [429, 500, 502, 503, 504],  # answers that mean "slow down"
     "adaptive_latency_factor": 3.0,  # a call this many times slower than usual... (0: off)
     "adaptive_latency_min_s": 0.25,  # ...and at least this much slower, counts as one too
     "adaptive_timeout_s": 300}       # longest wait for a turn before the call fails

A ``rate_limit`` extra on the same connection is the default ceiling; the adaptive rate
never goes above it, so the fixed bucket is not taken as well.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from scheduler.breakers.policy import TRUE_WORDS
from scheduler.errors import RateLimitConfigError, ThrottleConfigError
from scheduler.rate_limit_spec import parse_rate_limit

DEFAULT_MAX_RATE = "10/s"
DEFAULT_MIN_RATE = "1/m"
#: Too many requests, and every 5xx a service sends when it cannot keep up.
OVERLOAD_STATUSES = (429, 500, 502, 503, 504)


@dataclass(frozen=True)
class ThrottlePolicy:
    """One connection's AIMD settings (rates in calls per second)."""

    max_rate: float
    min_rate: float
    initial_rate: float
    increase: float
    decrease: float = 0.5
    probe_after_s: float = 60.0
    statuses: tuple[int, ...] = OVERLOAD_STATUSES
    latency_factor: float = 3.0
    latency_min_s: float = 0.25
    timeout_s: float = 300.0

    def is_overload_status(self, status: int) -> bool:
        return status in self.statuses

    @classmethod
    def from_extra(cls, extra: Mapping[str, Any], conn_id: str) -> ThrottlePolicy | None:
        """The policy of a connection's extras; None when ``adaptive`` is not on."""
        if not _flag(extra.get("adaptive"), conn_id):
            return None
        read = _Reader(extra, conn_id)
        max_rate = read.rate("adaptive_max_rate", extra.get("rate_limit") or DEFAULT_MAX_RATE)
        min_rate = min(read.rate("adaptive_min_rate", DEFAULT_MIN_RATE), max_rate)
        initial = read.rate("adaptive_initial_rate", None) or max_rate
        return cls(
            max_rate=max_rate,
            min_rate=min_rate,
            initial_rate=min(max(initial, min_rate), max_rate),
            increase=read.number("adaptive_increase", max_rate / 20, above=0),
            decrease=read.number("adaptive_decrease", 0.5, above=0, below=1),
            probe_after_s=read.number("adaptive_probe_after_s", 60.0, least=0),
            statuses=read.statuses("adaptive_statuses"),
            latency_factor=read.number("adaptive_latency_factor", 3.0, least=0),
            latency_min_s=read.number("adaptive_latency_min_s", 0.25, least=0),
            timeout_s=read.number("adaptive_timeout_s", 300.0, least=0),
        )

    @classmethod
    def of_connection(cls, conn: Any) -> ThrottlePolicy | None:
        extra: Mapping[str, Any] = getattr(conn, "extra_dejson", None) or {}
        return cls.from_extra(extra, conn.conn_id)


def _flag(value: Any, conn_id: str) -> bool:
    if value is None or isinstance(value, bool):
        return bool(value)
    text = str(value).strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in ("", "0", "false", "no", "off"):
        return False
    raise ThrottleConfigError(
        f"connection '{conn_id}': extra adaptive={value!r} is not true or false; "
        'write {"adaptive": true} to turn adaptive throttling on'
    )


class _Reader:
    """Reads and checks one extra at a time, naming the connection and key on a bad value."""

    def __init__(self, extra: Mapping[str, Any], conn_id: str) -> None:
        self.extra, self.conn_id = extra, conn_id

    def rate(self, key: str, default: Any) -> float:
        value = self.extra.get(key) or default
        if value is None:
            return 0.0
        try:
            where = f"connection '{self.conn_id}' extra {key}"
            return parse_rate_limit(value, where=where).per_second
        except RateLimitConfigError as exc:
            raise ThrottleConfigError(str(exc)) from None

    def number(
        self,
        key: str,
        default: float,
        *,
        least: float | None = None,
        above: float | None = None,
        below: float | None = None,
    ) -> float:
        raw = self.extra.get(key)
        if raw is None or raw == "":
            return default
        try:
            value = float(raw)
        except (TypeError, ValueError):
            value = math.nan
        ok = math.isfinite(value)
        ok = ok and (least is None or value >= least) and (above is None or value > above)
        ok = ok and (below is None or value < below)
        if not ok:
            bounds = [(">=", least), (">", above), ("<", below)]
            wanted = " and ".join(f"{op} {bound:g}" for op, bound in bounds if bound is not None)
            raise ThrottleConfigError(
                f"connection '{self.conn_id}': extra {key}={raw!r} must be a number {wanted}, "
                f"e.g. {default:g}"
            )
        return value

    def statuses(self, key: str) -> tuple[int, ...]:
        raw = self.extra.get(key)
        if raw is None:
            return OVERLOAD_STATUSES
        try:
            if isinstance(raw, str):
                text = raw.strip()
                raw = json.loads(text) if text.startswith("[") else text.split(",")
            return tuple(int(status) for status in raw if str(status).strip())
        except (TypeError, ValueError):
            raise ThrottleConfigError(
                f"connection '{self.conn_id}': extra {key}={raw!r} is not a list of HTTP "
                "statuses; write e.g. [429, 503]"
            ) from None
