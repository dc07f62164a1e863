"""``acquire``: wait for one token of a shared rate limit before calling a service.

    from scheduler.ratelimit import acquire, acquire_for_connection
    acquire("billing_api", timeout=60, limit="10/s")   # any named bucket
    acquire_for_connection(conn)                        # the connection's own extras

A connection is limited by its extras (``baton connections add ... --extra``)::

    {"rate_limit": "10/s",          # "N/s", "N/m" or "N/h"; absent: no limit
     "rate_limit_burst": 1,         # calls at once after a quiet spell (default 1)
     "rate_limit_timeout_s": 300}   # longest wait for a token before the call fails

Each acquire is one short transaction on the bucket's row (``store.rate_limits``) followed
by at most one sleep, until the token it reserved is due. When that would be later than the
timeout nothing is reserved and ``RateLimitTimeoutError`` is raised at once: waiting could
not help, and the try's retries come back when the bucket has refilled.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from scheduler.breakers import engine_for
from scheduler.errors import RateLimitConfigError, RateLimitTimeoutError
from scheduler.rate_limit_spec import RateLimit, parse_rate_limit
from scheduler.settings import Settings
from scheduler.store import rate_limits
from scheduler.store.db import transaction

DEFAULT_TIMEOUT_S = 300.0
_LOG_WAITS_FROM_S = 1.0  # shorter waits are the normal pace of a limited connection
log = logging.getLogger("baton.ratelimit")


def acquire(
    name: str,
    timeout: float | None = DEFAULT_TIMEOUT_S,
    *,
    limit: RateLimit | str,
    kind: str = rate_limits.CONNECTION,
    database_url: str | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> float:
    """Wait for one token of bucket ``name`` limited to ``limit``; returns the seconds waited.

    ``timeout=None`` waits as long as it takes. Raises ``RateLimitTimeoutError`` when the
    token is due later than ``timeout`` seconds from now.
    """
    spec = parse_rate_limit(limit, where=f"rate_limit of {kind} '{name}'")
    url = database_url or Settings.from_env().database_url
    max_wait = float("inf") if timeout is None else max(float(timeout), 0.0)
    with transaction(engine_for(url)) as session:
        taken = rate_limits.take(
            session, kind, name, rate=spec.per_second, burst=spec.burst, max_wait_s=max_wait
        )
    if not taken.granted:
        raise RateLimitTimeoutError(
            f"the rate limit {spec} of {kind} '{name}' has no token for {taken.wait_s:.1f} s, "
            f"longer than the timeout of {max_wait:g} s (other callers are queued ahead); "
            "the call was not made. Raise the timeout (rate_limit_timeout_s) or the limit, "
            "or let the task's retries try later"
        )
    if taken.wait_s >= _LOG_WAITS_FROM_S:
        log.info("rate limit %s of %s '%s': waiting %.1f s", spec, kind, name, taken.wait_s)
    if taken.wait_s > 0:
        sleep(taken.wait_s)
    return taken.wait_s


def connection_limit(conn: Any) -> tuple[RateLimit | None, float]:
    """The connection's ``RateLimit`` (None: unlimited) and its timeout, from its extras."""
    extra: Mapping[str, Any] = getattr(conn, "extra_dejson", None) or {}
    value = extra.get("rate_limit")
    if value in (None, ""):
        return None, DEFAULT_TIMEOUT_S
    where = f"connection '{conn.conn_id}' extra rate_limit"
    spec = parse_rate_limit(value, burst=extra.get("rate_limit_burst"), where=where)
    return spec, _timeout(extra.get("rate_limit_timeout_s"), conn.conn_id)


def acquire_for_connection(conn: Any, *, sleep: Callable[[float], None] = time.sleep) -> float:
    """Wait for a token of the connection's ``rate_limit`` extra, if it has one."""
    spec, timeout = connection_limit(conn)
    if spec is None:
        return 0.0
    return acquire(conn.conn_id, timeout, limit=spec, sleep=sleep)


def _timeout(value: Any, conn_id: str) -> float:
    if value in (None, ""):
        return DEFAULT_TIMEOUT_S
    try:
        timeout = float(value)
    except (TypeError, ValueError):
        timeout = -1.0
    if timeout < 0:
        raise RateLimitConfigError(
            f"connection '{conn_id}' extra rate_limit_timeout_s={value!r} is not a number of "
            "seconds >= 0; write e.g. 300"
        )
    return timeout
