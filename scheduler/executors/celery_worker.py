"""The worker side of the Celery executor: what ``baton celery worker`` runs per message.

A message carries one try (``celery_messages.encode_request``) and the name of the queue
its scheduler reads events from. The worker claims the try (a redelivered message is
dropped here), reports ``TaskStarted``, runs the try in a forked child
(``isolated_try.run_isolated``) while shipping its log to the database, then ships the rest
of the log, marks the claim finished and reports ``TaskFinished``, in that order, so a
finished try's log is complete when the scheduler hears of it.

A worker needs the DAG files (``BATON_DAGS_FOLDER``), the database (``BATON_DATABASE_URL``)
and the broker (``BATON_CELERY_BROKER_URL``); its ``BATON_HOME`` is its own.
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from celery import Celery
from sqlalchemy import Engine

from scheduler.executor import ExecutorEvent, TaskFinished, TaskRequest, TaskStarted
from scheduler.executors.celery_app import EVENTS, TASK_NAME
from scheduler.executors.celery_messages import decode_request, encode_event, local_paths
from scheduler.executors.isolated_try import Watch, run_isolated
from scheduler.executors.worker import WorkerPolicy
from scheduler.runner import describe
from scheduler.settings import Settings
from scheduler.store import shipped_logs, try_claims
from scheduler.store.db import make_engine, transaction
from scheduler.store.xcom import xcom_reader_for

log = logging.getLogger("baton.celery")

HEARTBEAT_S = 2.0  # how often a running try's claim records that its worker is alive


@dataclass
class _Process:
    """What one Celery pool process keeps between messages (built after Celery's fork)."""

    settings: Settings
    engine: Engine
    worker: str
    pid: int


_current: _Process | None = None


def _process() -> _Process:
    global _current
    if _current is None or _current.pid != os.getpid():
        settings = Settings.from_env()
        engine = make_engine(settings.database_url)
        worker = f"celery:{os.getpid()}@{socket.gethostname()}"
        _current = _Process(settings, engine, worker, os.getpid())
    return _current


def register_task(app: Celery) -> None:
    """Make ``app`` run Baton's tries (the worker's app; the scheduler only publishes)."""
    app.task(name=TASK_NAME, bind=True, acks_late=True)(_run_try_task)


def _run_try_task(task: Any, body: dict[str, Any], reply_to: str) -> str:
    return run_try_message(task.app, body, reply_to)


def run_try_message(app: Celery, body: dict[str, Any], reply_to: str) -> str:
    """Run the try in ``body`` unless it was claimed already; return what happened."""
    here = _process()
    request = decode_request(body)
    key = request.key
    with transaction(here.engine) as session:
        earlier = try_claims.claim(session, key, here.worker, _now())
    if earlier is not None:
        log.warning("dropping a message for %s: the try is already %s", key.label, earlier)
        return f"dropped ({earlier})"
    try:
        finished = _run_claimed(app, here, body, request, reply_to)
    except Exception as exc:  # the worker's own failure (database, disk): still report it
        log.exception("could not run %s", key.label)
        reason = f"the Celery worker {here.worker} could not run the try: {describe(exc)}"
        finished = TaskFinished(key, "failed", None, _now(), reason)
    _publish(app, reply_to, finished)
    return finished.state


def _run_claimed(
    app: Celery, here: _Process, body: dict[str, Any], request: TaskRequest, reply_to: str
) -> TaskFinished:
    fileloc, log_path = local_paths(body, here.settings.dags_folder, here.settings.logs_folder)
    # Read XCom from (and trigger runs in) the database this worker was given.
    local = replace(
        request, fileloc=fileloc, log_path=log_path, database_url=here.settings.database_url
    )
    Path(log_path).parent.mkdir(parents=True, exist_ok=True)
    _publish(app, reply_to, TaskStarted(request.key, _now(), os.getpid(), socket.gethostname()))
    with transaction(here.engine) as session:
        shipper = _LogShipper(session, local.log_path, request.log_path)
    watch = _watch(here, local, shipper)
    finished = run_isolated(local, xcom_reader_for, _policy(here.settings), watch)
    with transaction(here.engine) as session:
        shipper.ship(session)
        try_claims.finish(session, request.key, _now())
    return finished


def _watch(here: _Process, request: TaskRequest, shipper: _LogShipper) -> Watch:
    last_beat = [0.0]

    def cancel_requested() -> bool:
        now = datetime.now(UTC).timestamp()
        if now - last_beat[0] < HEARTBEAT_S:
            return False
        last_beat[0] = now
        with transaction(here.engine) as session:
            state = try_claims.heartbeat(session, request.key, _now())
        return state == try_claims.CANCEL_REQUESTED

    def ship_log() -> None:
        if shipper.has_news():
            with transaction(here.engine) as session:
                shipper.ship(session)

    def after_fork() -> None:
        here.engine.dispose(close=False)  # the parent's connections stay the parent's

    return Watch(ship_log, cancel_requested, after_fork)


class _LogShipper:
    """Appends what the try wrote to its local log since the last call to the database."""

    def __init__(self, session: Any, local_path: str, recorded_path: str) -> None:
        self.local = Path(local_path)
        self.key = recorded_path  # what task_try.log_path says: readers look it up
        # Go on after what was shipped already (a log path used again), else from byte 0.
        self.offset = shipped_logs.shipped_size(session, recorded_path) or 0

    def has_news(self) -> bool:
        try:
            return self.local.stat().st_size > self.offset
        except OSError:
            return False

    def ship(self, session: Any) -> None:
        try:
            with self.local.open("rb") as handle:
                handle.seek(self.offset)
                data = handle.read()
        except OSError:
            return
        shipped_logs.append_chunk(session, self.key, self.offset, data, _now())
        self.offset += len(data)


def _policy(settings: Settings) -> WorkerPolicy:
    return WorkerPolicy(memory_limit_mb=settings.worker_memory_limit_mb, recycle_rss_mb=0)


def _publish(app: Celery, reply_to: str, event: ExecutorEvent) -> None:
    with app.producer_or_acquire() as producer:
        producer.publish(
            encode_event(event),
            exchange=EVENTS,
            routing_key=reply_to,
            serializer="json",
            declare=[EVENTS],
            retry=True,
            retry_policy={"max_retries": None, "interval_start": 0.1, "interval_max": 2.0},
        )


def _now() -> datetime:
    return datetime.now(UTC)
