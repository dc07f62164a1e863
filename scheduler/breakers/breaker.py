"""``CircuitBreaker``: guard calls to one connection's service with its shared breaker.

    breaker = CircuitBreaker.for_connection(conn)
    with breaker.guard() as call:
        response = session.get(url)
        if response.status_code >= 500:
            call.mark_failure(f"HTTP {response.status_code}")  # counts, without raising

An exception out of the block counts as a failure (unless ``is_failure`` says otherwise)
and propagates; a block that ends normally counts as a success. While the breaker is open,
``guard()`` raises ``CircuitOpenError`` before the block runs — or, with
``breaker_when_open="wait"``, waits for the cool-down and tries again, up to
``breaker_max_wait_s``, then raises the retryable ``CircuitStillOpenError``.

Each outcome is one short write transaction; while closed, admitting a call is one read.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from scheduler.breakers import store
from scheduler.breakers.policy import BreakerPolicy
from scheduler.breakers.transitions import HALF_OPEN, Admission, BreakerView, admission
from scheduler.clock import utcnow
from scheduler.errors import CircuitOpenError, CircuitStillOpenError
from scheduler.masking import redact
from scheduler.settings import Settings
from scheduler.store.db import make_engine, transaction
from scheduler.store.events import process_source

Clock = Callable[[], datetime]
_MAX_ERROR_CHARS = 500
_WAIT_POLL_S = 1.0  # how often a waiting call looks again while another process probes
_engines: dict[tuple[str, int, bool], Engine] = {}


def engine_for(url: str, *, write: bool = True) -> Engine:
    """One engine per database URL and process (a forked worker never reuses its parent's)."""
    key = (url, os.getpid(), write)
    if key not in _engines:
        _engines[key] = make_engine(url, write=write)
    return _engines[key]


@dataclass
class Call:
    """One admitted call; ``mark_failure`` counts it as failed without raising."""

    owner: str
    probe: bool
    failure: str | None = None

    def mark_failure(self, reason: str) -> None:
        self.failure = reason


class CircuitBreaker:
    """The breaker of connection ``conn_id``, stored in the database at ``database_url``."""

    def __init__(
        self,
        conn_id: str,
        policy: BreakerPolicy | None = None,
        *,
        database_url: str | None = None,
        clock: Clock = utcnow,
        role: str = "worker",
    ) -> None:
        self.conn_id = conn_id
        self.policy = policy or BreakerPolicy()
        self.database_url = database_url or Settings.from_env().database_url
        self.clock = clock
        self.source = process_source(role)

    @classmethod
    def for_connection(cls, conn: Any, **kwargs: Any) -> CircuitBreaker:
        """The breaker of a ``Connection``, with the policy in its ``breaker_*`` extras."""
        extra: Mapping[str, Any] = getattr(conn, "extra_dejson", None) or {}
        return cls(conn.conn_id, BreakerPolicy.from_extra(extra, conn.conn_id), **kwargs)

    # -- the guard ------------------------------------------------------------------------

    @contextmanager
    def guard(self, is_failure: Callable[[BaseException], bool] | None = None) -> Iterator[Call]:
        """Run the block as one call through the breaker (see the module docstring)."""
        if not self.policy.enabled:
            yield Call(owner=self.source, probe=False)
            return
        call = self.admit()
        try:
            yield call
        except BaseException as exc:
            counts = call.probe or is_failure is None or is_failure(exc)
            if counts and not isinstance(exc, CircuitOpenError):
                self.record(call, ok=False, error=_describe(exc))
            raise
        self.record(call, ok=call.failure is None, error=call.failure)

    def admit(self) -> Call:
        """A ``Call`` allowed to reach the service now, or ``CircuitOpenError``."""
        deadline = time.monotonic() + self.policy.max_wait_s
        while True:
            view = self.read()
            verdict = admission(view, self.policy, self.clock())
            owner = f"{self.source}/{uuid.uuid4().hex[:8]}"
            if verdict is Admission.ALLOW:
                return Call(owner=owner, probe=False)
            if verdict is Admission.PROBE:
                if self._claim(owner):
                    return Call(owner=owner, probe=True)
                view = self.read()  # another process won the probe: say so
            if self.policy.when_open != "wait":
                raise self._open_error(view)
            if not self._wait(view, deadline):
                raise self._still_open_error(view)

    def record(self, call: Call, *, ok: bool, error: str | None = None) -> BreakerView:
        """Count the outcome of ``call`` in the database (one short transaction)."""
        text = redact(error)[:_MAX_ERROR_CHARS] if error else None
        with transaction(engine_for(self.database_url)) as session:
            return store.record_outcome(
                session,
                self.conn_id,
                self.policy,
                ok=ok,
                owner=call.owner,
                now=self.clock(),
                error=text,
            )

    # -- reading and resetting ------------------------------------------------------------

    def read(self) -> BreakerView | None:
        with transaction(engine_for(self.database_url, write=False)) as session:
            return store.read_breaker(session, self.conn_id)

    def reset(self) -> bool:
        with transaction(engine_for(self.database_url)) as session:
            return store.reset_breaker(session, self.conn_id, self.source, self.clock())

    # -- helpers --------------------------------------------------------------------------

    def _claim(self, owner: str) -> bool:
        with transaction(engine_for(self.database_url)) as session:
            return store.claim_probe(session, self.conn_id, self.policy, owner, self.clock())

    def _wait(self, view: BreakerView | None, deadline: float) -> bool:
        """Sleep until the breaker may admit a probe; False once ``deadline`` has passed."""
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        pause = _WAIT_POLL_S
        if view is not None and view.state != HALF_OPEN and view.half_open_at is not None:
            pause = max((view.half_open_at - self.clock()).total_seconds(), 0.01)
        time.sleep(min(pause, left))
        return True

    def _open_error(self, view: BreakerView | None) -> CircuitOpenError:
        return CircuitOpenError(
            f"{self._describe_open(view)}; the call failed fast without reaching the service. "
            f"Wait, or once the service is back run `baton breakers reset {self.conn_id}`",
            self.conn_id,
            getattr(view, "opened_at", None),
            getattr(view, "half_open_at", None),
        )

    def _still_open_error(self, view: BreakerView | None) -> CircuitStillOpenError:
        return CircuitStillOpenError(
            f"{self._describe_open(view)}; this try waited {self.policy.max_wait_s:g} s "
            "(breaker_max_wait_s) and fails as retryable: it is retried after the cool-down "
            "per the task's retries",
            self.conn_id,
            getattr(view, "opened_at", None),
            getattr(view, "half_open_at", None),
        )

    def _describe_open(self, view: BreakerView | None) -> str:
        if view is None:
            return f"the circuit breaker of connection '{self.conn_id}' is open"
        since = _iso(view.opened_at)
        cause = f" (last error: {view.last_error})" if view.last_error else ""
        if view.state == HALF_OPEN:
            return (
                f"the circuit breaker of connection '{self.conn_id}' is half-open (open since "
                f"{since}{cause}): another process is probing the service since "
                f"{_iso(view.probe_started_at)}"
            )
        return (
            f"the circuit breaker of connection '{self.conn_id}' is open since {since} after "
            f"{view.consecutive_failures} consecutive failure(s){cause}; it half-opens at "
            f"{_iso(view.half_open_at)}"
        )


def _iso(value: datetime | None) -> str:
    return value.isoformat(timespec="seconds") if value is not None else "?"


def _describe(exc: BaseException) -> str:
    message = str(exc)
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__
