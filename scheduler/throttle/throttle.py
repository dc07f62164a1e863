"""``throttled(conn)``: one call to a connection's service, paced and judged by its
adaptive throttle (a hook's ``self.throttled_call(conn)`` is the same)::

    with throttled(conn, is_overload=lambda exc: isinstance(exc, TimeoutError)) as call:
        response = client.get(url)
        if call.is_overload_status(response.status_code):
            call.overloaded(f"HTTP {response.status_code}", retry_after_s=3)

Before the block, the call waits for its turn at the connection's current rate (one short
transaction, then at most one sleep; a ``Retry-After`` pause is checked again after it).
After the block, its latency and outcome are counted (one short transaction): a block that
ends normally is a success, ``call.overloaded(...)`` a push-back, and an exception a
push-back when ``is_overload(exc)`` says so (otherwise it is not counted). A connection
without ``{"adaptive": true}`` gets its fixed ``rate_limit``, if any, and nothing else.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from scheduler.breakers import engine_for
from scheduler.errors import ThrottleTimeoutError
from scheduler.masking import redact
from scheduler.ratelimit import acquire_for_connection
from scheduler.settings import Settings
from scheduler.store.db import transaction
from scheduler.store.events import process_source
from scheduler.throttle import store
from scheduler.throttle.aimd import Outcome, ThrottleView
from scheduler.throttle.policy import OVERLOAD_STATUSES, ThrottlePolicy

_LOG_WAITS_FROM_S = 1.0
_MAX_SIGNAL_CHARS = 300
log = logging.getLogger("baton.throttle")


@dataclass
class ThrottledCall:
    """One call in progress; ``overloaded`` marks it as the service pushing back."""

    conn_id: str
    policy: ThrottlePolicy | None  # None: the connection is not adaptive
    started_at: datetime | None = None
    overload: str | None = None
    retry_after_s: float | None = None

    def is_overload_status(self, status: int) -> bool:
        """Whether an answer with ``status`` means "slow down" (``adaptive_statuses``)."""
        statuses = self.policy.statuses if self.policy else OVERLOAD_STATUSES
        return status in statuses

    def overloaded(self, reason: str, retry_after_s: float | None = None) -> None:
        """Count this call as a push-back; ``retry_after_s`` pauses every call that long."""
        self.overload = redact(reason)[:_MAX_SIGNAL_CHARS]
        if retry_after_s is not None and retry_after_s > 0:
            self.retry_after_s = float(retry_after_s)


class AdaptiveThrottle:
    """The adaptive throttle of connection ``conn_id``, stored at ``database_url``."""

    def __init__(
        self,
        conn_id: str,
        policy: ThrottlePolicy,
        *,
        database_url: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
        role: str = "worker",
    ) -> None:
        self.conn_id = conn_id
        self.policy = policy
        self.database_url = database_url or Settings.from_env().database_url
        self.sleep = sleep
        self.source = process_source(role)

    def wait_for_turn(self) -> datetime:
        """Sleep until this call may go; returns when it went (database time)."""
        deadline = time.monotonic() + self.policy.timeout_s
        while True:
            left = deadline - time.monotonic()
            with transaction(engine_for(self.database_url)) as session:
                turn = store.take_turn(session, self.conn_id, self.policy, left)
            if not turn.granted:
                raise self._timeout(turn.wait_s)
            if turn.wait_s >= _LOG_WAITS_FROM_S:
                log.info(
                    "adaptive throttle of '%s' at %.3g/s: waiting %.1f s",
                    self.conn_id, turn.rate, turn.wait_s,
                )  # fmt: skip
            if turn.wait_s <= 0:
                return turn.starts_at
            self.sleep(turn.wait_s)
            if not self._paused_past(turn.starts_at):  # a Retry-After came in while it slept
                return turn.starts_at

    def record(self, call: ThrottledCall, latency_s: float | None) -> ThrottleView:
        """Count how ``call`` ended (one short transaction)."""
        outcome = Outcome(
            started_at=call.started_at or datetime.now(UTC),
            latency_s=latency_s,
            overload=call.overload,
            retry_after_s=call.retry_after_s,
        )
        with transaction(engine_for(self.database_url)) as session:
            after = store.record_outcome(session, self.conn_id, self.policy, outcome, self.source)
        if call.overload:
            log.warning(
                "connection '%s' pushed back (%s): adaptive rate now %.3g/s",
                self.conn_id, call.overload, after.rate,
            )  # fmt: skip
        return after

    def _paused_past(self, slot: datetime) -> bool:
        """Whether a pause now ends after ``slot``: one that came in after the turn."""
        with transaction(engine_for(self.database_url, write=False)) as session:
            until = store.paused_until(session, self.conn_id)
        return until is not None and until > slot

    def _timeout(self, wait_s: float) -> ThrottleTimeoutError:
        return ThrottleTimeoutError(
            f"the adaptive throttle of connection '{self.conn_id}' has no turn for "
            f"{wait_s:.1f} s, longer than adaptive_timeout_s={self.policy.timeout_s:g} (the "
            "service pushed back, and other calls are queued ahead); the call was not made. "
            "The task's retries apply; `baton breakers list` shows the connection's rate"
        )


@contextmanager
def throttled(
    conn: Any,
    *,
    is_overload: Callable[[BaseException], bool] | None = None,
    judge_latency: bool = True,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[ThrottledCall]:
    """Run the block as one call through ``conn``'s throttle (see the module docstring).
    ``judge_latency=False`` counts the outcome but not the time it took (calls whose cost
    differs by design, such as SQL statements)."""
    policy = ThrottlePolicy.of_connection(conn)
    if policy is None:
        acquire_for_connection(conn, sleep=sleep)  # the fixed rate_limit, if it has one
        yield ThrottledCall(conn.conn_id, None)
        return
    throttle = AdaptiveThrottle(conn.conn_id, policy, sleep=sleep)
    call = ThrottledCall(conn.conn_id, policy, started_at=throttle.wait_for_turn())
    began = time.monotonic()
    try:
        yield call
    except BaseException as exc:
        if is_overload is not None and is_overload(exc) and call.overload is None:
            call.overloaded(_describe(exc))
        if call.overload is not None:
            throttle.record(call, None)
        raise
    latency = time.monotonic() - began if judge_latency and not call.overload else None
    throttle.record(call, latency)


def wait_for_turn(conn: Any, *, sleep: Callable[[float], None] = time.sleep) -> float:
    """Pace one call without judging it: the adaptive rate's turn, else the fixed
    ``rate_limit``; returns the seconds waited (``BaseHook.wait_for_rate_limit``)."""
    policy = ThrottlePolicy.of_connection(conn)
    if policy is None:
        return acquire_for_connection(conn, sleep=sleep)
    began = time.monotonic()
    AdaptiveThrottle(conn.conn_id, policy, sleep=sleep).wait_for_turn()
    return time.monotonic() - began


def _describe(exc: BaseException) -> str:
    message = str(exc)
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__
