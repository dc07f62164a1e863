""" "Running longer than usual": a side thread of the scheduler that flags each try running
past the p95 of its task's last 30 successful durations (once the task has 5 of them).

Every ``POLL_SECONDS`` it reads the running task instances (``ix_task_instance_state``:
as many as run at once) and each of their tasks' usual limit (``planner/forecast.py``),
read once per try (as of its start) and at most every ``LIMIT_TTL`` seconds, not every poll.
A try past its limit gets a ``long_try`` row (the claim: once per try, whatever the number
of schedulers or restarts), a ``longer_than_usual`` event, a badge in the UI and, when its
task sets Baton's ``on_longer_than_usual_callback``, a callback process
(``python -m scheduler.notifications.timing_callback long_try ...``).
"""

from __future__ import annotations

import logging
import time
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from scheduler.clock import utcnow
from scheduler.engine.callback_processes import CallbackWatch, callback_log_path
from scheduler.planner.forecast import HISTORY, usual_limit
from scheduler.settings import Settings
from scheduler.store import task_history as store
from scheduler.store.db import transaction
from scheduler.store.events import Event, append_events
from scheduler.store.models import dag_table

log = logging.getLogger(__name__)

LIMIT_TTL = 30.0

Limit = tuple[float, int] | None  # (p95 seconds, samples) or None: not enough history


class LongTryWatch(CallbackWatch[store.RunningTryKey]):
    WHAT = "long try watch"

    def __init__(self, settings: Settings, source: str) -> None:
        super().__init__(settings, source)
        self.limits: dict[tuple[str, str], tuple[Limit, datetime]] = {}  # and when read
        self.callbacks: dict[str, tuple[frozenset[str], float]] = {}

    def record(
        self, session: Session, key: store.RunningTryKey, state: str, error: str | None
    ) -> None:
        store.set_long_try_callback(session, key, state, error=error)

    def check(self, reader: Engine, writer: Engine) -> list[store.RunningTry]:
        now = utcnow()
        with transaction(reader) as session:
            running = store.running_tries(session)
            # Each try with the limit it is past, read once: the same in both transactions.
            over = [(t, limit) for t in running if (limit := self._passed(session, t, now))]
            done = store.flagged(session, [t for t, _ in over]) if over else set()
        over = [(item, limit) for item, limit in over if _key(item) not in done]
        if not over:
            return []
        started = []
        with transaction(writer) as session:
            for item, (usual, samples) in over:
                if not store.flag_long_try(session, item, usual, samples, self.source, now):
                    continue
                append_events(session, [self.event(item, usual, samples, now)])
                if item.task_id in self._callbacks(session, item.dag_id):
                    path = str(self.log_path(item))
                    store.set_long_try_callback(session, _key(item), "running", log_path=path)
                    started.append(item)
        for item in started:
            args = ("long_try", item.dag_id, item.run_id, item.task_id, str(item.map_index),
                    str(item.try_number))  # fmt: skip
            self.processes.start(_key(item), self.MODULE, args, self.log_path(item))
        return started

    def _passed(self, session: Session, item: store.RunningTry, now: datetime) -> Limit:
        """The usual limit of ``item``'s task when the try has run past it, else None."""
        limit = self._limit(session, item, now)
        if limit is not None and (now - item.start_date).total_seconds() > limit[0]:
            return limit
        return None

    def _limit(self, session: Session, item: store.RunningTry, now: datetime) -> Limit:
        """The task's usual limit as of its try's start: read again for a try that started
        after the cached one was read (so a new success counts), else at most every
        ``LIMIT_TTL`` seconds."""
        cached = self.limits.get((item.dag_id, item.task_id))
        if (
            cached
            and cached[1] >= item.start_date
            and (now - cached[1]).total_seconds() < LIMIT_TTL
        ):
            return cached[0]
        durations = store.recent_durations(session, item.dag_id, [item.task_id], HISTORY)
        recent = durations.get(item.task_id, [])
        p95 = usual_limit(recent)
        limit = None if p95 is None else (p95, len(recent))
        self.limits[(item.dag_id, item.task_id)] = (limit, now)
        return limit

    def _callbacks(self, session: Session, dag_id: str) -> frozenset[str]:
        """The DAG's tasks with an ``on_longer_than_usual_callback`` (from its spec)."""
        cached = self.callbacks.get(dag_id)
        if cached and time.monotonic() - cached[1] < LIMIT_TTL:
            return cached[0]
        spec = session.execute(select(dag_table.c.spec).where(dag_table.c.dag_id == dag_id))
        tasks = frozenset((spec.scalar_one_or_none() or {}).get("long_try_callbacks", ()))
        self.callbacks[dag_id] = (tasks, time.monotonic())
        return tasks

    def event(self, item: store.RunningTry, usual: float, samples: int, now: datetime) -> Event:
        running = (now - item.start_date).total_seconds()
        return Event(
            "longer_than_usual",
            now,
            self.source,
            dag_id=item.dag_id,
            run_id=item.run_id,
            task_id=item.task_id,
            map_index=item.map_index if item.map_index >= 0 else None,
            try_number=item.try_number,
            new_state="running",
            detail=f"running {running:.1f}s, longer than usual: p95 {usual:.1f}s "
            f"of the last {samples} successful tries",
        )

    def log_path(self, item: store.RunningTry) -> Path:
        name = f"longer_than_usual.{item.task_id}.{item.map_index}.{item.try_number}"
        return callback_log_path(self.settings, item.dag_id, item.run_id, name)


def _key(item: store.RunningTry) -> store.RunningTryKey:
    return (item.dag_id, item.run_id, item.task_id, item.map_index, item.try_number)
