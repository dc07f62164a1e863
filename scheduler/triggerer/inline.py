"""Triggers run in the current process, for ``baton dags test`` (as Airflow's ``dags test``
runs them inline): wait for the first event among the run's triggers (or the first
deferral timeout), store it as the triggerer would, and mirror the resumed task."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime

from sqlalchemy import Engine

from scheduler.engine.deferral import adopt_resumed
from scheduler.engine.live import LiveState
from scheduler.store import triggers as store
from scheduler.store.db import transaction
from scheduler.triggerer.loop import Fired, TriggerLoop


def run_triggers_inline(db: Engine, live: LiveState, source: str) -> bool:
    """Resume at least one deferred task of the mirrored runs; False if none is deferred."""
    run_ids = [run.run_id for run in live.runs.values()]
    with transaction(db) as session:
        waiting = store.triggers_waited_on(session, run_ids)
        timeout_at = store.next_deferral_timeout(session, run_ids)
    if not waiting:
        return False
    fired = asyncio.run(_first_events(waiting, timeout_at))
    now = datetime.now(UTC)
    with transaction(db) as session:
        for trigger_id, payload, error in fired:
            if error is None:
                store.fire_trigger(session, trigger_id, payload, source=source, now=now)
            else:
                store.fail_trigger(session, trigger_id, error, source=source, now=now)
        store.time_out_deferrals(session, None, source=source, now=now)
        store.clean_unused(session)
        adopt_resumed(session, live)
    return True


async def _first_events(
    waiting: list[store.StoredTrigger], timeout_at: datetime | None
) -> list[Fired]:
    loop = TriggerLoop()
    loop.sync(waiting)
    # At most 5 s, so a sensor in reschedule mode is poked meanwhile (the caller loops).
    wait_s = 5.0
    if timeout_at is not None:
        wait_s = min(wait_s, max(0.0, (timeout_at - datetime.now(UTC)).total_seconds()))
    fired: list[Fired] = []
    try:
        with contextlib.suppress(TimeoutError):
            fired.append(await asyncio.wait_for(loop.events.get(), wait_s))
        while not loop.events.empty():
            fired.append(loop.events.get_nowait())
    finally:
        await loop.stop()
    return fired
