"""The RunDriver on SQLite and PostgreSQL: one dispatch that queues a task's try of one run
and a compensation try of another inserts both ``task_try`` rows (the compensation's at
map_index -1). Found by the chaos suite: the batch insert needs every row to name the same
columns."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from scheduler.spec import TaskSpec
from scheduler.store.db import transaction
from scheduler.store.models import TaskTryRow
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
    TaskSpec("ship", "X", upstream=("reserve",)),
    TaskSpec("after", "X", upstream=("reserve",)),
)


def test_a_task_try_and_a_compensation_try_in_one_dispatch(db, tmp_path: Path) -> None:
    driver = driver_for(tmp_path)
    # The older run is dispatched first: its task rows come before the compensation row.
    second, first = add_run(db, driver, SPEC, 0), add_run(db, driver, SPEC, 1)
    reserves = {r.run_id: r for r in step(db, driver, T0)}
    later = T0 + timedelta(seconds=1)
    ship, after = sorted(
        step(db, driver, later, finish(reserves[first], "success", T0)), key=lambda r: r.task_id
    )[::-1]
    step(db, driver, later, finish(ship, "failed", later))
    # In one step: the first run fails for good (it must compensate) and the second run's
    # reserve succeeds (its downstream tries are due).
    events = [*finish(after, "failed", later), *finish(reserves[second], "success", later)]

    batch = step(db, driver, later + timedelta(seconds=1), events)

    kinds = sorted((r.run_id == first, r.task_id, r.compensation) for r in batch)
    assert kinds == [(False, "after", False), (False, "ship", False), (True, "reserve", True)]
    with transaction(db) as session:
        undo = session.scalars(select(TaskTryRow).where(TaskTryRow.kind == "compensate")).one()
    assert (undo.run_id, undo.task_id, undo.map_index, undo.state) == (
        first,
        "reserve",
        -1,
        "queued",
    )
