"""Retries of one HTTP call inside a try: which responses retry and how long to wait.

A connection error, a timeout, a 5xx or a 429 is retried up to ``max_attempts`` calls in
all, waiting ``backoff_s * 2**(n-1)`` seconds after the n-th (capped at ``max_backoff_s``,
with jitter so that many tries do not hammer the service in step) — or the response's
``Retry-After`` when it asks for longer. Pure functions: the clock is an argument.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from scheduler.errors import DagDefinitionError

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class HttpRetryPolicy:
    """How one try retries a call (the task's own ``retries`` come on top)."""

    max_attempts: int = 3
    backoff_s: float = 1.0
    max_backoff_s: float = 60.0
    retry_statuses: frozenset[int] = RETRY_STATUSES
    max_retry_after_s: float = 300.0  # a longer Retry-After ends the try instead

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise DagDefinitionError(
                f"max_attempts={self.max_attempts!r} must be >= 1 (1 means no retry)"
            )
        if self.backoff_s < 0 or self.max_backoff_s < 0:
            raise DagDefinitionError(
                f"retry backoff {self.backoff_s!r}/{self.max_backoff_s!r} must be >= 0 seconds"
            )

    def should_retry_status(self, status: int) -> bool:
        return status in self.retry_statuses

    def delay_s(self, attempt: int, retry_after_s: float | None = None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        ceiling = min(self.backoff_s * 2 ** (attempt - 1), self.max_backoff_s)
        delay = random.uniform(ceiling / 2, ceiling)
        if retry_after_s is not None:
            delay = max(delay, retry_after_s)
        return delay


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds from ``now``: delta-seconds or an HTTP date; None if bad."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    now = now or datetime.now(UTC)
    return max((when - now).total_seconds(), 0.0)
