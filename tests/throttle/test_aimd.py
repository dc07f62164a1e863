"""The AIMD arithmetic, with the clock as an argument: no database, no sleeping."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from scheduler.throttle import FULL, PAUSED, THROTTLED, Outcome, ThrottlePolicy, after_outcome
from scheduler.throttle.aimd import HOLD_SHARE, ThrottleView, fresh, hold_cap, slow_call

T0 = datetime(2026, 1, 1, tzinfo=UTC)
POLICY = ThrottlePolicy(max_rate=20.0, min_rate=0.5, initial_rate=20.0, increase=2.0)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def ok(view: ThrottleView, t: float, latency_s: float | None = 0.01) -> ThrottleView:
    return after_outcome(view, POLICY, Outcome(at(t), latency_s=latency_s), at(t))


def pushed(view: ThrottleView, t: float, started: float | None = None, **kw: float) -> ThrottleView:
    start = at(t if started is None else started)
    outcome = Outcome(start, overload="HTTP 429", **kw)
    return after_outcome(view, POLICY, outcome, at(t))


def test_a_push_back_multiplies_the_rate_by_the_decrease() -> None:
    view = pushed(fresh("c", POLICY, T0), 0.5)
    assert view.rate == pytest.approx(10.0)
    assert view.ceiling == pytest.approx(20.0)  # a window under 1 s: the rate itself
    assert (view.overloads, view.last_signal, view.decreased_at) == (1, "HTTP 429", at(0.5))
    assert view.state(at(0.5)) == THROTTLED


def test_calls_sent_before_the_last_decrease_do_not_decrease_it_again() -> None:
    view = pushed(fresh("c", POLICY, T0), 1.0)
    in_flight = pushed(view, 1.01, started=0.99)  # sent at the old pace
    assert in_flight.rate == view.rate and in_flight.overloads == 2
    later = pushed(in_flight, 1.2, started=1.1)  # sent after the decrease: still too fast
    assert later.rate == pytest.approx(view.rate / 2)


def test_the_rate_never_goes_below_the_minimum() -> None:
    view = fresh("c", POLICY, T0)
    for step in range(20):
        view = pushed(view, step * 0.1)
    assert view.rate == POLICY.min_rate


def test_each_success_adds_increase_over_rate_so_the_rate_grows_increase_per_second() -> None:
    view = replace(fresh("c", POLICY, T0), rate=5.0)
    t = 0.0
    while t < 1.0:  # one second of calls at the allowed pace
        t += 1 / view.rate
        view = ok(view, t)
    assert view.rate == pytest.approx(5.0 + POLICY.increase, abs=0.3)


def test_success_recovers_to_the_max_and_no_further() -> None:
    view = replace(fresh("c", POLICY, T0), rate=19.9)
    for n in range(50):
        view = ok(view, n * 0.05)
    assert view.rate == POLICY.max_rate
    assert view.state(at(3)) == FULL


def test_the_rate_holds_below_the_accepted_rate_of_the_last_push_back_then_probes() -> None:
    view = fresh("c", POLICY, T0)
    for n in range(40):  # 2 s at 20/s, of which the service took 12 a second
        if n % 5 < 3:
            view = ok(view, n * 0.05)
    view = pushed(view, 2.0)
    assert view.ceiling == pytest.approx(24 / 2.0)
    assert view.rate == pytest.approx(6.0)
    t = 2.0
    for _ in range(400):
        t += 1 / view.rate
        view = ok(view, t)
    assert t < 2.0 + POLICY.probe_after_s
    assert view.rate == pytest.approx(12.0 * HOLD_SHARE)  # held below the wall
    assert hold_cap(view, POLICY, at(2.0 + POLICY.probe_after_s)) == POLICY.max_rate
    view = ok(view, 2.0 + POLICY.probe_after_s + 1)
    assert view.rate > 12.0 * HOLD_SHARE  # probing again: the service may have grown


def test_an_accepted_rate_far_below_is_taken_as_one_decrease_at_most() -> None:
    view = fresh("c", POLICY, T0)
    for n in range(3):  # 3 calls in 10 s: mostly idle, not a capacity of 0.3/s
        view = ok(view, n)
    view = pushed(view, 10.0)
    assert view.ceiling == pytest.approx(10.0)
    assert view.rate == pytest.approx(5.0)


def test_retry_after_pauses_and_is_never_shortened() -> None:
    view = pushed(fresh("c", POLICY, T0), 1.0, retry_after_s=5)
    assert view.paused_until == at(6.0) and view.state(at(2)) == PAUSED
    shorter = pushed(view, 1.5, started=0.9, retry_after_s=1)
    assert shorter.paused_until == at(6.0)
    assert shorter.state(at(6.0)) == THROTTLED
    assert shorter.window_started_at == at(6.0)  # the window counts from the pause's end


def test_latency_far_above_the_usual_is_a_push_back() -> None:
    view = fresh("c", POLICY, T0)
    for n in range(30):
        view = ok(view, n * 0.05, latency_s=0.02)
    before = view.rate
    t = 1.5
    while view.overloads == 0:
        t += 0.05
        view = ok(view, t, latency_s=1.0)
        assert t < 3, "a latency 50 times the usual never slowed the pace"
    assert view.rate < before
    assert view.last_signal.startswith("latency 1.000 s, over 3x the usual")


def test_a_slightly_slower_call_is_not_a_push_back() -> None:
    view = fresh("c", POLICY, T0)
    for n in range(30):
        view = ok(view, n * 0.05, latency_s=0.02)
    assert slow_call(view, POLICY, 0.2) is None  # 10x, but only 0.18 s more: noise
    off = replace(POLICY, latency_factor=0.0)
    assert slow_call(replace(view, latency_ewma_s=5.0), off, 5.0) is None


def test_a_lowered_max_applies_at_once() -> None:
    view = fresh("c", POLICY, T0)
    lower = replace(POLICY, max_rate=5.0)
    view = after_outcome(view, lower, Outcome(at(1), latency_s=0.01), at(1))
    assert (view.rate, view.max_rate) == (5.0, 5.0)


def test_one_slow_call_is_not_a_push_back_a_lasting_rise_is() -> None:
    view = fresh("c", POLICY, T0)
    for n in range(30):
        view = ok(view, n * 0.05, latency_s=0.02)
    view = ok(view, 2.0, latency_s=10.0)  # a big report, once
    for n in range(5):
        view = ok(view, 12 + n * 0.05, latency_s=0.02)
    assert view.overloads == 0
    slow = 0
    while view.overloads == 0:  # the service itself got slow: a few calls in a row count
        slow += 1
        view = ok(view, 13 + slow * 0.05, latency_s=1.0)
    assert 3 <= slow <= 10
