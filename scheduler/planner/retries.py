"""What happens to a task after a failed try: another try later, or failed for good."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from scheduler.spec import TaskSpec
from scheduler.states import TaskState

#: No retry waits longer than a day, whatever the backoff says (Airflow's default cap).
MAX_RETRY_DELAY_S = 24 * 3600.0
#: Exponential backoff adds up to this fraction of the delay, so tasks that failed together
#: (a service outage) do not all retry at the same second.
JITTER_FRACTION = 0.25


def after_failure(
    task: TaskSpec, try_number: int, ended_at: datetime, retryable: bool, key: str
) -> tuple[TaskState, datetime | None]:
    """The state a task goes to after try ``try_number`` (1-based) failed at ``ended_at``.

    ``UP_FOR_RETRY`` with the time of the next try while ``try_number <= task.retries`` and the
    failure is ``retryable`` (``BatonFailException`` is not); ``FAILED`` and None otherwise.
    ``key`` is the task instance's idempotency key: with ``try_number`` it seeds the jitter,
    so recomputing gives the same time.
    """
    if not retryable or try_number > task.retries:
        return TaskState.FAILED, None
    return TaskState.UP_FOR_RETRY, ended_at + timedelta(seconds=retry_delay(task, try_number, key))


def retry_delay(task: TaskSpec, try_number: int, key: str) -> float:
    """Seconds to wait after failed try ``try_number`` before the next one.

    Without backoff: ``retry_delay_s``. With ``retry_exponential_backoff``:
    ``retry_delay_s * 2 ** (try_number - 1)`` plus a jitter of 0-25 % derived from ``key``
    and ``try_number`` (the key is the same for every try of an instance),
    capped at ``max_retry_delay_s`` (when set) and at one day. Airflow draws its jitter below
    the doubled delay instead; the growth and the caps are the same.
    """
    if not task.retry_exponential_backoff:
        return task.retry_delay_s
    exponent = max(try_number - 1, 0)
    # Past 2**64 the cap applies anyway; avoid building a huge float for absurd try numbers.
    base = task.retry_delay_s * 2.0 ** min(exponent, 64)
    delay = base * (1.0 + JITTER_FRACTION * _unit_interval(f"{key}#{try_number}"))
    if task.max_retry_delay_s is not None:
        delay = min(delay, task.max_retry_delay_s)
    return min(delay, MAX_RETRY_DELAY_S)


def _unit_interval(key: str) -> float:
    """A number in [0, 1) that depends only on ``key`` (unlike ``hash()``, which is salted
    per process)."""
    digest = hashlib.sha256(key.encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64
