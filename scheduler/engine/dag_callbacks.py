"""DAG callbacks (``DAG(on_success_callback=..., on_failure_callback=...)``), started by
the scheduler in processes of their own.

A thread of the scheduler (its own database connection, never the loop's transaction)
follows the event log: each run change to ``success`` or ``failed`` whose DAG sets the
matching callback is claimed in ``dag_callback`` (one scheduler wins) and run by a child
process, ``python -m scheduler.notifications.dag_run_callback``, which imports the DAG file
(the scheduler never does) and calls the callbacks with the run's context. Its output goes
to ``$BATON_HOME/logs/dag_id=.../run_id=.../dag_callbacks/<callback>.<event id>.log``.

Why not in a worker, like task callbacks: a run's state is decided by the scheduler after
its last try has reported, when no worker holds anything of it; a worker slot would be
taken from tasks, and the executors would need a new kind of request. Airflow 3 runs DAG
callbacks in its DAG processor for the same reason: the process that imports DAG files
without being the scheduler. A callback process that runs past
``callback_processes.TIMEOUT`` is killed.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine

from scheduler.clock import utcnow
from scheduler.engine.callback_processes import CallbackProcesses, callback_log_path, outcome
from scheduler.settings import Settings
from scheduler.store import dag_callbacks as store
from scheduler.store.db import make_engine, transaction

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0
LOOKBACK = timedelta(minutes=10)  # a restarted scheduler still calls back for these
LATE_COMMITS = timedelta(seconds=60)  # re-read: an event may commit after a higher id


def start_dag_callbacks(settings: Settings, source: str) -> threading.Thread:
    runner = DagCallbackRunner(settings, source)
    thread = threading.Thread(target=runner.run_forever, name="baton-dag-callbacks", daemon=True)
    thread.start()
    return thread


class DagCallbackRunner:
    def __init__(self, settings: Settings, source: str) -> None:
        self.settings = settings
        self.source = source
        self.processes: CallbackProcesses[int] = CallbackProcesses(settings)
        self.seen: dict[int, float] = {}  # event ids handled lately (the window re-read)

    def run_forever(self) -> None:
        engine = make_engine(self.settings.database_url)
        cursor: int | None = None
        while True:
            try:
                if cursor is None:
                    with transaction(engine) as session:
                        cursor = store.start_cursor(session, utcnow() - LOOKBACK)
                cursor = self.poll(engine, cursor)
                self.reap(engine)
            except Exception as exc:  # a database outage: the loop must survive it
                log.error("DAG callbacks: %s; trying again", exc)
            time.sleep(POLL_SECONDS)

    def poll(self, engine: Engine, cursor: int) -> int:
        now = utcnow()
        with transaction(engine) as session:
            due, cursor = store.due_callbacks(session, cursor, now - LATE_COMMITS)
            fresh = [d for d in due if d.event_id not in self.seen]
            self.seen.update((d.event_id, time.monotonic()) for d in fresh)
            started = [
                d
                for d in fresh
                if not store.is_claimed(session, d.event_id)
                and store.claim(session, d, self.source, now, str(self.log_path(d)))
            ]
        horizon = time.monotonic() - 2 * LATE_COMMITS.total_seconds()
        self.seen = {k: t for k, t in self.seen.items() if t > horizon}
        for item in started:
            self.start(engine, item)
        return cursor

    def start(self, engine: Engine, due: store.Due) -> None:
        args = (due.dag_id, due.run_id, due.callback, due.fileloc)
        self.processes.start(due.event_id, "scheduler.notifications.dag_run_callback", args,
                             self.log_path(due))  # fmt: skip

    def log_path(self, due: store.Due) -> Path:
        name = f"{due.callback}.{due.event_id}"
        return callback_log_path(self.settings, due.dag_id, due.run_id, name)

    def reap(self, engine: Engine) -> None:
        for event_id, code in self.processes.reap():
            state, error = outcome(code)
            with transaction(engine) as session:
                store.finish(session, event_id, state, error, utcnow())
