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
without being the scheduler. A callback process that runs past ``TIMEOUT`` is killed.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine

from scheduler.clock import utcnow
from scheduler.settings import Settings
from scheduler.store import dag_callbacks as store
from scheduler.store.db import make_engine, transaction

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0
LOOKBACK = timedelta(minutes=10)  # a restarted scheduler still calls back for these
TIMEOUT = 300.0
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
        self.running: dict[int, tuple[subprocess.Popen[bytes], float]] = {}
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
        path = self.log_path(due)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "ab") as output:
            process = subprocess.Popen(
                [sys.executable, "-m", "scheduler.notifications.dag_run_callback",
                 due.dag_id, due.run_id, due.callback, due.fileloc],
                stdout=output,
                stderr=subprocess.STDOUT,
                env={**os.environ, "BATON_HOME": str(self.settings.home)},
            )  # fmt: skip
        self.running[due.event_id] = (process, time.monotonic())
        log.info("%s of %s/%s started (pid %d)", due.callback, due.dag_id, due.run_id, process.pid)

    def log_path(self, due: store.Due) -> Path:
        run = due.run_id.replace("/", "_")
        folder = self.settings.logs_folder / f"dag_id={due.dag_id}" / f"run_id={run}"
        return folder / "dag_callbacks" / f"{due.callback}.{due.event_id}.log"

    def reap(self, engine: Engine) -> None:
        for event_id, (process, started) in list(self.running.items()):
            code = process.poll()
            if code is None and time.monotonic() - started > TIMEOUT:
                process.kill()
                code = process.wait()
            if code is None:
                continue
            del self.running[event_id]
            error = None if code == 0 else f"the callback process exited {code}; see its log"
            with transaction(engine) as session:
                store.finish(
                    session, event_id, "success" if code == 0 else "failed", error, utcnow()
                )
