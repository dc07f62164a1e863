"""The AIMD arithmetic as pure functions: a row's values and one call's outcome in, new
values out (the clock is an argument, so every rule is unit-tested without a database).

- **Additive increase**: each successful call adds ``increase / rate``, so calls made at the
  allowed pace raise it by ``increase`` calls/s every second, up to ``max_rate``.
- **Multiplicative decrease**: a push-back (an overload status, no answer, or latency far
  above the usual) multiplies the rate by ``decrease``. Only calls *started after* the last
  decrease can cause another: the calls already in flight were sent at the old pace, and
  counting each of them would collapse the rate for one overload.
- **A learnt ceiling**: at a push-back the rate the service actually accepted since the
  previous one (``window_ok`` over the window) becomes the ceiling; the recovering rate
  holds at ``HOLD_SHARE`` of it for ``probe_after_s`` instead of walking into the same wall
  every few seconds, then probes above it again (the service may have grown).
- **Retry-After** pauses every call until the time the service asked for.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from scheduler.throttle.policy import ThrottlePolicy

FULL, THROTTLED, PAUSED = "full", "throttled", "paused"
HOLD_SHARE = 0.9  # of the learnt ceiling: a margin for the service's own jitter
MIN_WINDOW_S = 1.0  # a shorter window says too little about what the service accepts
MIN_WINDOW_CALLS = 3
MAX_WINDOW_S = 30.0  # an older window may hold idle time: it starts again
LATENCY_ALPHA = 0.2  # weight of the newest call in the smoothed latency
LATENCY_CLIP = 4.0  # a call counts in it as at most this many times the smoothed latency
FLOOR_DRIFT = 0.01  # how fast the usual latency follows a lasting change


@dataclass(frozen=True)
class Outcome:
    """How one call ended: ``overload`` names a push-back (None: the call was fine)."""

    started_at: datetime
    latency_s: float | None = None
    overload: str | None = None
    retry_after_s: float | None = None


@dataclass(frozen=True)
class ThrottleView:
    """The columns of one ``adaptive_throttle`` row."""

    conn_id: str
    rate: float
    max_rate: float
    ceiling: float | None = None
    decreased_at: datetime | None = None
    paused_until: datetime | None = None
    window_started_at: datetime | None = None
    window_ok: int = 0
    latency_ewma_s: float | None = None
    latency_floor_s: float | None = None
    calls: int = 0
    overloads: int = 0
    last_signal: str | None = None
    last_signal_at: datetime | None = None

    @classmethod
    def from_row(cls, row: Any) -> ThrottleView:
        return cls(**{name: getattr(row, name) for name in cls.__dataclass_fields__})

    def values(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "conn_id"}

    def state(self, now: datetime) -> str:
        """``paused`` (waiting out a Retry-After), ``throttled`` (below the max) or ``full``."""
        if self.paused_until is not None and self.paused_until > now:
            return PAUSED
        return THROTTLED if self.rate < self.max_rate * 0.999 else FULL


def fresh(conn_id: str, policy: ThrottlePolicy, now: datetime) -> ThrottleView:
    """A connection's first row: at its initial rate, its window starting now."""
    return ThrottleView(conn_id, policy.initial_rate, policy.max_rate, window_started_at=now)


def configured(view: ThrottleView, policy: ThrottlePolicy) -> ThrottleView:
    """``view`` under the current extras: a lowered max (or raised min) applies at once."""
    rate = min(max(view.rate, policy.min_rate), policy.max_rate)
    return replace(view, rate=rate, max_rate=policy.max_rate)


def after_outcome(
    view: ThrottleView, policy: ThrottlePolicy, outcome: Outcome, now: datetime
) -> ThrottleView:
    """``view`` once one call has ended with ``outcome`` at ``now``."""
    view = configured(replace(view, calls=view.calls + 1), policy)
    reason = outcome.overload
    if reason is None and outcome.latency_s is not None:
        reason = slow_call(view, policy, outcome.latency_s)  # against the latency so far
        view = _with_latency(view, outcome.latency_s)
    if reason is None:
        return _increased(view, policy, now)
    return _pushed_back(view, policy, outcome, reason, now)


def slow_call(view: ThrottleView, policy: ThrottlePolicy, latency_s: float) -> str | None:
    """Why a call this slow is a push-back (None: it is not): both it and the smoothed
    latency of the calls before it are ``latency_factor`` times the usual and
    ``latency_min_s`` above it — a lasting rise, not one slow call (a big report query)."""
    usual, smoothed = view.latency_floor_s, view.latency_ewma_s
    if not policy.latency_factor or usual is None or smoothed is None:
        return None
    limit = max(usual * policy.latency_factor, usual + policy.latency_min_s)
    if latency_s <= limit or smoothed <= limit:
        return None
    return f"latency {latency_s:.3f} s, over {policy.latency_factor:g}x the usual {usual:.3f} s"


def hold_cap(view: ThrottleView, policy: ThrottlePolicy, now: datetime) -> float:
    """The most the rate may recover to now: below the learnt ceiling while it is fresh."""
    cap = policy.max_rate
    holding = view.decreased_at is not None and (
        now - view.decreased_at < timedelta(seconds=policy.probe_after_s)
    )
    if view.ceiling is not None and holding:
        cap = min(cap, max(view.ceiling * HOLD_SHARE, policy.min_rate))
    return cap


def _increased(view: ThrottleView, policy: ThrottlePolicy, now: datetime) -> ThrottleView:
    start = view.window_started_at
    if start is None or (now - start).total_seconds() > MAX_WINDOW_S:
        view = replace(view, window_started_at=now, window_ok=0)
    view = replace(view, window_ok=view.window_ok + 1)
    cap = hold_cap(view, policy, now)
    if view.rate >= cap:
        return view
    return replace(view, rate=min(cap, view.rate + policy.increase / view.rate))


def _pushed_back(
    view: ThrottleView, policy: ThrottlePolicy, outcome: Outcome, reason: str, now: datetime
) -> ThrottleView:
    view = replace(view, overloads=view.overloads + 1, last_signal=reason, last_signal_at=now)
    if outcome.retry_after_s:
        until = now + timedelta(seconds=outcome.retry_after_s)
        if view.paused_until is None or until > view.paused_until:
            view = replace(view, paused_until=until)
    if view.decreased_at is not None and outcome.started_at < view.decreased_at:
        return view  # sent at the old pace: the decrease it calls for has happened
    # What the service took lately, but never below one decrease of the rate: a window
    # with idle time in it would otherwise undersell the service.
    accepted = _accepted_rate(view, now) or view.rate
    accepted = min(view.rate, max(accepted, view.rate * policy.decrease))
    resume = max(now, view.paused_until or now)
    return replace(
        view,
        rate=max(policy.min_rate, accepted * policy.decrease),
        ceiling=accepted,
        decreased_at=now,
        window_started_at=resume,
        window_ok=0,
    )


def _accepted_rate(view: ThrottleView, now: datetime) -> float | None:
    """Successful calls per second since the window began; None when too few to tell."""
    if view.window_started_at is None:
        return None
    elapsed = (now - view.window_started_at).total_seconds()
    if elapsed < MIN_WINDOW_S or view.window_ok < MIN_WINDOW_CALLS:
        return None
    return view.window_ok / elapsed


def _with_latency(view: ThrottleView, latency_s: float) -> ThrottleView:
    smoothed = view.latency_ewma_s
    if smoothed is None:
        smoothed = latency_s
    else:  # one call moves it at most so far: a single huge call is not a trend
        sample = min(latency_s, smoothed * LATENCY_CLIP)
        smoothed += LATENCY_ALPHA * (sample - smoothed)
    usual = view.latency_floor_s
    if usual is None or smoothed < usual:
        usual = smoothed
    else:
        usual += FLOOR_DRIFT * (smoothed - usual)
    return replace(view, latency_ewma_s=smoothed, latency_floor_s=usual)
