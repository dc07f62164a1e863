"""StoppingTries: cancelled tries are held until reported stopped, or given up on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from scheduler.engine.stopping import StoppingTries
from scheduler.executor import TryKey

NOW = datetime(2026, 12, 2, 12, tzinfo=UTC)
CHARGE = TryKey("shop", "r1", "charge", 1)
OTHER_RUN = TryKey("shop", "r2", "charge", 1)


def test_a_cancelled_try_is_held_until_its_end_is_reported() -> None:
    stopping = StoppingTries(wait_s=30)
    stopping.add([CHARGE, OTHER_RUN], NOW)
    assert stopping.of_run("shop", "r1", NOW) == ({"charge"}, NOW + timedelta(seconds=30))
    assert stopping.release(CHARGE) is True
    assert stopping.release(CHARGE) is False  # reported once
    assert stopping.of_run("shop", "r1", NOW) == (set(), None)
    assert stopping.of_run("shop", "r2", NOW)[0] == {"charge"}


def test_a_try_never_reported_is_given_up_on_after_the_wait() -> None:
    stopping = StoppingTries(wait_s=30)
    stopping.add([CHARGE], NOW)
    assert stopping.of_run("shop", "r1", NOW + timedelta(seconds=29))[0] == {"charge"}
    assert stopping.of_run("shop", "r1", NOW + timedelta(seconds=30)) == (set(), None)
    assert stopping.release(CHARGE) is False
