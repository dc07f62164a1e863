"""Adaptive throttling per connection, shared by every process through the database.

A connection with the extra ``{"adaptive": true}`` gets a rate that follows what its
service can take (AIMD): 429s, 5xx, no answer or latency far above the usual lower it,
``Retry-After`` pauses it, and successful calls raise it again. ``throttled(conn)`` wraps
one call (HTTP and SQL hooks use it through ``BaseHook.throttled_call``); see ``policy``
for the extras, ``aimd`` for the arithmetic and ``store`` for the rows.
"""

from scheduler.errors import ThrottleConfigError, ThrottleTimeoutError
from scheduler.throttle.aimd import FULL, PAUSED, THROTTLED, Outcome, ThrottleView, after_outcome
from scheduler.throttle.policy import OVERLOAD_STATUSES, ThrottlePolicy
from scheduler.throttle.queries import (
    beside_breakers,
    throttle_row,
    throttle_rows,
    throttle_rows_in,
)
from scheduler.throttle.throttle import AdaptiveThrottle, ThrottledCall, throttled, wait_for_turn

__all__ = [
    # what hooks use
    "throttled",
    "wait_for_turn",
    "ThrottledCall",
    "AdaptiveThrottle",
    "ThrottlePolicy",
    "OVERLOAD_STATUSES",
    # the arithmetic and its states
    "ThrottleView",
    "Outcome",
    "after_outcome",
    "FULL",
    "THROTTLED",
    "PAUSED",
    # for the CLI and the web UI
    "throttle_row",
    "throttle_rows",
    "throttle_rows_in",
    "beside_breakers",
    # errors
    "ThrottleConfigError",
    "ThrottleTimeoutError",
]
