"""Rate limits per connection and per pool, shared by every process through the database.

A token bucket per limit, one row each (``store.rate_limits``): ``acquire`` waits for a
token before a call (``limiter``); ``spec`` parses "10/s", "100/m", "5/h". Hooks call
``BaseHook.wait_for_rate_limit(conn)`` before each call; a custom hook can too.
"""

from scheduler.errors import RateLimitConfigError, RateLimitTimeoutError
from scheduler.rate_limit_spec import RateLimit, parse_rate_limit
from scheduler.ratelimit.limiter import acquire, acquire_for_connection, connection_limit

__all__ = [
    "RateLimit",
    "parse_rate_limit",
    "acquire",
    "acquire_for_connection",
    "connection_limit",
    "RateLimitConfigError",
    "RateLimitTimeoutError",
]
