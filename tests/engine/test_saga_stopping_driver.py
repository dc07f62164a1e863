"""The RunDriver on SQLite and PostgreSQL with a test clock: a run that times out while a
try runs compensates only once the executor reported that try stopped (or after the wait),
so nothing is undone while the try's call may still be in flight."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from scheduler.executor import TaskFinished, TaskStarted
from scheduler.spec import TaskSpec
from scheduler.store import runs as run_store
from scheduler.store.db import transaction
from tests.engine.test_run_settings_driver import (
    T0,
    add_run,
    driver_for,
    finish,
    spec_of,
    step,
)

SPEC = spec_of(
    TaskSpec("reserve", "X", has_compensation=True),
    TaskSpec("charge", "X", upstream=("reserve",)),
    dagrun_timeout_s=60.0,
)


def run_until_timeout(db, tmp_path: Path):
    driver = driver_for(tmp_path)
    run_id = add_run(db, driver, SPEC, 0)
    [reserve] = step(db, driver, T0)
    [charge] = step(db, driver, T0 + timedelta(seconds=1), finish(reserve, "success", T0))
    step(db, driver, T0 + timedelta(seconds=2), [TaskStarted(charge.key, T0, 1, "host")])
    assert step(db, driver, T0 + timedelta(seconds=60)) == []  # timed out: nothing undone
    assert driver.take_cancels() == [charge.key]
    return driver, run_id, charge


def run_state(db, run_id: str) -> str:
    with transaction(db) as session:
        return run_store.get_run(session, "d", run_id).state


def test_the_undo_waits_for_the_stopped_try_to_be_reported(db, tmp_path: Path) -> None:
    driver, run_id, charge = run_until_timeout(db, tmp_path)
    assert run_state(db, run_id) == "compensating"
    assert step(db, driver, T0 + timedelta(seconds=61)) == []  # still in flight
    stopped = TaskFinished(charge.key, "failed", T0, T0 + timedelta(seconds=62), error="killed")
    [undo] = step(db, driver, T0 + timedelta(seconds=62), [stopped])
    assert (undo.task_id, undo.compensation) == ("reserve", True)


def test_a_try_never_reported_is_given_up_on_after_30_s(db, tmp_path: Path) -> None:
    driver, _run_id, _charge = run_until_timeout(db, tmp_path)
    assert driver.next_wakeup() == T0 + timedelta(seconds=90)  # when the wait ends
    assert step(db, driver, T0 + timedelta(seconds=89)) == []
    [undo] = step(db, driver, T0 + timedelta(seconds=90))
    assert (undo.task_id, undo.compensation) == ("reserve", True)
