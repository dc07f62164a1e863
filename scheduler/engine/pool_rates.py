"""Pools' rate limits at dispatch: each try of a rate-limited pool takes one token first.

The tokens are the pool's bucket in ``rate_limit_bucket`` (``store.rate_limits``), taken
in the loop's own transaction, so every scheduler draws from the same bucket. A pool whose
bucket is empty dispatches nothing more in this pass (its tries stay scheduled, in order)
and ``next_due`` tells the loop when to wake for the next token. Nothing is reserved ahead:
the scheduler never sleeps on a bucket.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from scheduler.errors import RateLimitConfigError
from scheduler.rate_limit_spec import RateLimit, parse_rate_limit
from scheduler.store import rate_limits
from scheduler.store.pools import PoolLimit

log = logging.getLogger("baton.engine")


class PoolRates:
    """The gate one dispatch asks, per try, whether the try's pool has a token now."""

    def __init__(self) -> None:
        self.next_due: datetime | None = None

    def gate(
        self, session: Session, limits: Mapping[str, PoolLimit], now: datetime
    ) -> Callable[[str], bool] | None:
        """``admit(pool)`` for this dispatch; None when no pool has a rate limit."""
        self.next_due = None
        limited = _parsed(limits)
        if not limited:
            return None
        empty: set[str] = set()

        def admit(pool: str) -> bool:
            spec = limited.get(pool)
            if spec is None:
                return True
            if pool in empty:
                return False
            taken = rate_limits.take(
                session,
                rate_limits.POOL,
                pool,
                rate=spec.per_second,
                burst=spec.burst,
                max_wait_s=0.0,
            )
            if taken.granted:
                return True
            empty.add(pool)
            due = now + timedelta(seconds=taken.wait_s)
            self.next_due = due if self.next_due is None else min(self.next_due, due)
            return False

        return admit


def _parsed(limits: Mapping[str, PoolLimit]) -> dict[str, RateLimit]:
    found = {}
    for name, limit in limits.items():
        if not limit.rate_limit:
            continue
        try:
            found[name] = parse_rate_limit(limit.rate_limit, where=f"pool '{name}' rate_limit")
        except RateLimitConfigError as exc:  # stored by hand: checked on every write path
            log.warning("%s; the pool is not rate-limited until it is fixed", exc)
    return found
