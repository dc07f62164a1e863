"""Deadline alerts (``DAG(deadline=DeadlineAlert(...))``): a side thread of the scheduler
that resolves each run's deadlines when they come due.

Every ``POLL_SECONDS`` it reads the pending deadlines whose time has passed (a range query
on ``ix_deadline_due``: their number, not the number of runs, is what it costs) and moves
each to ``missed`` — the run was not finished by then — or ``met``. That update is the
claim: with several schedulers, or after a restart, a deadline is resolved and its callback
started exactly once. A missed one records a ``deadline_missed`` event and starts
``python -m scheduler.notifications.timing_callback deadline ID``, which imports the DAG
file (the scheduler never does) and calls the alert's callback. A scheduler killed between
the claim and the start of that process does not call back (at most once, never twice);
the deadline's ``callback_state`` then stays ``running``.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from scheduler.clock import utcnow
from scheduler.engine.callback_processes import CallbackWatch, callback_log_path
from scheduler.store import deadlines as store
from scheduler.store.db import transaction
from scheduler.store.events import Event, append_events

log = logging.getLogger(__name__)


class DeadlineWatch(CallbackWatch[int]):
    WHAT = "deadline watch"

    def record(self, session: Session, key: int, state: str, error: str | None) -> None:
        store.set_callback_state(session, key, state, error=error)

    def check(self, reader: Engine, writer: Engine) -> list[store.DueDeadline]:
        """Resolve the deadlines due now; start the callbacks of those missed."""
        now = utcnow()
        with transaction(reader) as session:
            if not store.due_deadlines(session, now, limit=1):
                return []
        missed = []
        with transaction(writer) as session:
            for due in store.due_deadlines(session, now):
                state = store.MISSED if due.missed else store.MET
                if not store.resolve(session, due.id, state, self.source, now):
                    continue  # another scheduler resolved it
                if state == store.MISSED:
                    path = str(self.log_path(due))
                    store.set_callback_state(session, due.id, "running", log_path=path)
                    append_events(session, [self.event(due, now)])
                    missed.append(due)
        for due in missed:
            log.warning("run %s/%s missed its deadline %s", due.dag_id, due.run_id,
                        due.deadline_time.isoformat())  # fmt: skip
            self.processes.start(due.id, self.MODULE, ("deadline", str(due.id)), self.log_path(due))
        return missed

    def event(self, due: store.DueDeadline, now: datetime) -> Event:
        state = due.run_state or "deleted"
        ended = f", ended {due.run_end.isoformat()}" if due.run_end else ""
        return Event(
            "deadline_missed",
            now,
            self.source,
            dag_id=due.dag_id,
            run_id=due.run_id,
            new_state=store.MISSED,
            detail=f"deadline {due.deadline_time.isoformat()} (alert {due.alert_index}); "
            f"the run was {state}{ended}",
        )

    def log_path(self, due: store.DueDeadline) -> Path:
        name = f"deadline.{due.id}"
        return callback_log_path(self.settings, due.dag_id, due.run_id, name)
