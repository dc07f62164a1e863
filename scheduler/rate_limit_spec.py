"""``RateLimit``: "10/s", "100/m", "5/h" parsed into a rate and a burst.

The text is ``COUNT/UNIT``: a positive number of calls per ``s`` (second), ``m`` (minute)
or ``h`` (hour); the long forms ``sec``/``second``, ``min``/``minute`` and ``hour`` (and
their plurals) are accepted too. ``burst`` is how many calls may go at once after a quiet
spell (the bucket's capacity): 1 by default, so calls are spread evenly — a downstream
service sees at most ``burst + rate x T`` calls in any ``T`` seconds.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from scheduler.errors import RateLimitConfigError

_UNITS = {
    "s": 1.0,
    "sec": 1.0,
    "second": 1.0,
    "m": 60.0,
    "min": 60.0,
    "minute": 60.0,
    "h": 3600.0,
    "hour": 3600.0,
}
_PATTERN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*/\s*([a-z]+?)s?\s*$")
ACCEPTED = '"10/s", "100/m" or "5/h" (calls per second, minute or hour)'


@dataclass(frozen=True)
class RateLimit:
    """``count`` calls per ``period_s`` seconds, at most ``burst`` at once."""

    count: float
    period_s: float
    burst: float = 1.0
    text: str = ""

    @property
    def per_second(self) -> float:
        return self.count / self.period_s

    def __str__(self) -> str:
        return self.text or f"{self.count:g}/{self.period_s:g}s"


def parse_rate_limit(value: Any, *, burst: Any = None, where: str = "rate_limit") -> RateLimit:
    """The ``RateLimit`` that ``value`` writes; ``RateLimitConfigError`` names what is wrong."""
    if isinstance(value, RateLimit):
        return value
    text = str(value).strip().lower() if value is not None else ""
    match = _PATTERN.match(text)
    unit = match.group(2) if match else ""
    if not match or unit not in _UNITS:
        raise RateLimitConfigError(f"{where}={value!r} is not a rate limit; write {ACCEPTED}")
    count = float(match.group(1))
    if count <= 0 or not math.isfinite(count):
        raise RateLimitConfigError(
            f"{where}={value!r} allows no calls; the count must be above 0, e.g. {ACCEPTED}"
        )
    return RateLimit(count, _UNITS[unit], _burst(burst, where), text=str(value).strip())


def _burst(value: Any, where: str) -> float:
    if value is None or value == "":
        return 1.0
    try:
        burst = float(value)
    except (TypeError, ValueError):
        burst = float("nan")
    if not math.isfinite(burst) or burst < 1:
        raise RateLimitConfigError(
            f"{where}_burst={value!r} is not a burst size; write a number of calls >= 1, e.g. 5"
        )
    return burst
