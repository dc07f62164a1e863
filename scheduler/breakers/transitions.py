"""The breaker's state machine as pure functions: a row's values in, new values out.

closed ──(N consecutive failures, or failure rate over the window)──► open
open ──(cool-down over; one process claims the probe)──► half_open
half_open ──(probe succeeds)──► closed      half_open ──(probe fails)──► open

No I/O here (the clock is an argument), so every arrow is unit-tested without a database;
``store`` reads the row, calls these, and writes the result in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from scheduler.breakers.policy import BreakerPolicy

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"


class Admission(Enum):
    """What a call may do now: go ahead, claim the probe first, or fail fast."""

    ALLOW = "allow"
    PROBE = "probe"
    REFUSE = "refuse"


@dataclass(frozen=True)
class BreakerView:
    """The columns of one ``circuit_breaker`` row (a fresh connection has no row: closed)."""

    conn_id: str
    state: str = CLOSED
    consecutive_failures: int = 0
    window_started_at: datetime | None = None
    window_calls: int = 0
    window_failures: int = 0
    opened_at: datetime | None = None
    half_open_at: datetime | None = None
    probe_owner: str | None = None
    probe_started_at: datetime | None = None
    last_error: str | None = None

    @classmethod
    def from_row(cls, row: Any) -> BreakerView:
        names = cls.__dataclass_fields__
        return cls(**{name: getattr(row, name) for name in names})

    def values(self) -> dict[str, Any]:
        """The columns to write back (all but the key)."""
        return {k: v for k, v in self.__dict__.items() if k != "conn_id"}


def admission(view: BreakerView | None, policy: BreakerPolicy, now: datetime) -> Admission:
    """May a call go through ``view``'s breaker at ``now``?"""
    if view is None or view.state == CLOSED or not policy.enabled:
        return Admission.ALLOW
    if view.state == OPEN:
        due = view.half_open_at is None or now >= view.half_open_at
        return Admission.PROBE if due else Admission.REFUSE
    return Admission.PROBE if probe_is_stale(view, policy, now) else Admission.REFUSE


def shown(view: BreakerView, now: datetime) -> BreakerView:
    """``view`` as people should see it at ``now``: an open breaker whose cool-down has
    passed is ``half_open`` — the next call probes the service — even though the row says
    ``open`` until a call arrives and claims the probe."""
    due = view.half_open_at is None or now >= view.half_open_at
    return replace(view, state=HALF_OPEN) if view.state == OPEN and due else view


def probe_is_stale(view: BreakerView, policy: BreakerPolicy, now: datetime) -> bool:
    """A half-open breaker whose probe outlived ``probe_timeout_s``: its holder is gone."""
    started = view.probe_started_at
    return started is None or now - started >= timedelta(seconds=policy.probe_timeout_s)


def after_outcome(
    view: BreakerView,
    policy: BreakerPolicy,
    now: datetime,
    ok: bool,
    owner: str,
    error: str | None = None,
) -> BreakerView:
    """``view`` after one call by ``owner`` ended (``ok`` or not) at ``now``."""
    view = _counted(view, policy, now, ok, error)
    if view.state == HALF_OPEN and view.probe_owner == owner:
        return _closed(view, now) if ok else _opened(view, policy, now)
    if view.state == CLOSED and not ok and tripped(view, policy):
        return _opened(view, policy, now)
    return view  # open, or someone else's probe: calls begun earlier only count


def tripped(view: BreakerView, policy: BreakerPolicy) -> bool:
    """Whether a closed breaker's counts call for opening it."""
    threshold = policy.failure_threshold
    if threshold and view.consecutive_failures >= threshold:
        return True
    rate = policy.failure_rate
    calls = view.window_calls
    return bool(rate and calls >= policy.min_calls and view.window_failures / calls >= rate)


def claimed(view: BreakerView, owner: str, now: datetime) -> BreakerView:
    """``view`` once ``owner`` holds the probe of the half-open breaker."""
    return replace(view, state=HALF_OPEN, probe_owner=owner, probe_started_at=now)


def reset(view: BreakerView, now: datetime) -> BreakerView:
    """A closed breaker with clean counts (``baton breakers reset``)."""
    return _closed(view, now)


def _counted(
    view: BreakerView, policy: BreakerPolicy, now: datetime, ok: bool, error: str | None
) -> BreakerView:
    start = view.window_started_at
    if start is None or now - start >= timedelta(seconds=policy.window_s):
        view = replace(view, window_started_at=now, window_calls=0, window_failures=0)
    return replace(
        view,
        consecutive_failures=0 if ok else view.consecutive_failures + 1,
        window_calls=view.window_calls + 1,
        window_failures=view.window_failures + (0 if ok else 1),
        last_error=view.last_error if ok else error,
    )


def _opened(view: BreakerView, policy: BreakerPolicy, now: datetime) -> BreakerView:
    return replace(
        view,
        state=OPEN,
        opened_at=now,
        half_open_at=now + timedelta(seconds=policy.reset_timeout_s),
        probe_owner=None,
        probe_started_at=None,
    )


def _closed(view: BreakerView, now: datetime) -> BreakerView:
    return replace(
        view,
        state=CLOSED,
        consecutive_failures=0,
        window_started_at=now,
        window_calls=0,
        window_failures=0,
        opened_at=None,
        half_open_at=None,
        probe_owner=None,
        probe_started_at=None,
    )
