"""Circuit breakers per connection, shared by every process through the database.

``CircuitBreaker.for_connection(conn).guard()`` wraps one call to a service; see
``breaker`` for the behaviour, ``policy`` for the ``breaker_*`` connection extras,
``transitions`` for the state machine and ``store`` for the rows.
"""

from scheduler.breakers.breaker import Call, CircuitBreaker, engine_for
from scheduler.breakers.policy import BreakerPolicy
from scheduler.breakers.queries import breaker_rows, reset_breaker
from scheduler.breakers.transitions import CLOSED, HALF_OPEN, OPEN, BreakerView
from scheduler.errors import BreakerConfigError, CircuitOpenError, CircuitStillOpenError

__all__ = [
    "CircuitBreaker",
    "Call",
    "BreakerPolicy",
    "BreakerView",
    "CLOSED",
    "OPEN",
    "HALF_OPEN",
    # for the CLI and the web UI
    "breaker_rows",
    "reset_breaker",
    "engine_for",
    # errors
    "BreakerConfigError",
    "CircuitOpenError",
    "CircuitStillOpenError",
]
