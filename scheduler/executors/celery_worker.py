"""The worker side of the Celery executor: what ``baton celery worker`` runs per message.

A message carries one try (``celery_messages.encode_request``) and the name of the queue
its scheduler reads events from. The worker claims the try (a redelivered message is
dropped here), reports ``TaskStarted``, runs the try, then ships the rest of its log, marks
the claim finished and reports ``TaskFinished``, in that order, so a finished try's log is
complete when the scheduler hears of it.

Each Celery pool process runs its tries through a ``LocalExecutor`` of one worker: a
long-lived forked child, so the guarantees are the local executor's own (a segfault,
``os._exit`` or the OOM killer fails only that try, with the reason, and the child is
replaced; the ``execution_timeout`` backstop; cancel by SIGTERM then SIGKILL of the child's
process group; workers recycled past ``BATON_WORKER_RECYCLE_RSS_MB``) and a warm child
keeps its imported DAG files between tries (a fork per try cost 20-30 ms here). While the
try runs, the pool process ships the log as it grows and heartbeats the try's claim.

A worker needs the DAG files (``BATON_DAGS_FOLDER``), the database (``BATON_DATABASE_URL``)
and the broker (``BATON_CELERY_BROKER_URL``); its ``BATON_HOME`` is its own.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import socket
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from multiprocessing.connection import wait
from pathlib import Path
from typing import Any

from celery import Celery
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from scheduler.executor import ExecutorEvent, TaskFinished, TaskRequest, TaskStarted
from scheduler.executors.celery_app import DEFAULT_QUEUE, EVENTS, TASK_NAME
from scheduler.executors.celery_messages import decode_request, encode_event, local_paths
from scheduler.executors.local import LocalExecutor
from scheduler.executors.worker import register_after_fork_in_worker
from scheduler.runner import describe
from scheduler.settings import Settings
from scheduler.store import shipped_logs, try_claims
from scheduler.store.db import DB_ERRORS, make_engine, transaction, with_db_retries
from scheduler.store.xcom import xcom_reader_for

log = logging.getLogger("baton.celery")

HEARTBEAT_S = 2.0  # how often a running try's claim records that its worker is alive
TICK_S = 0.5  # how often a running try's new log lines are shipped


@dataclass
class _Process:
    """What one Celery pool process keeps between messages (built after Celery's fork)."""

    settings: Settings
    engine: Engine
    worker: str
    pid: int
    executor: LocalExecutor | None = None


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

    def claim(session: Session) -> tuple[str | None, int]:  # one commit: claim, log size
        resumed = request.resume is not None  # the same try again, after a deferral
        earlier = try_claims.claim(session, key, here.worker, _now(), resumed=resumed)
        shipped = shipped_logs.shipped_size(session, request.log_path) if earlier is None else 0
        return earlier, shipped or 0

    earlier, shipped = with_db_retries(here.engine, claim, what=f"claim {key.label}")
    if earlier is not None:
        log.warning("dropping a message for %s: the try is already %s", key.label, earlier)
        return f"dropped ({earlier})"
    try:
        finished, shipper = _run_claimed(app, here, body, request, reply_to, shipped)
    except Exception as exc:  # the worker's own failure (disk, broker): still report it
        log.exception("could not run %s", key.label)
        reason = f"the Celery worker {here.worker} could not run the try: {describe(exc)}"
        finished, shipper = TaskFinished(key, "failed", None, _now(), reason), None

    shipped_before = shipper.offset if shipper is not None else 0

    def finish(session: Session) -> None:  # the log complete first, then the outcome
        if shipper is not None:
            shipper.offset = shipped_before  # an attempt rolled back shipped nothing
            shipper.ship(session)
        try_claims.finish(session, key, _now(), outcome=encode_event(finished))

    with_db_retries(here.engine, finish, what=f"record the outcome of {key.label}")
    _publish(app, reply_to, finished)
    return finished.state


def _run_claimed(
    app: Celery,
    here: _Process,
    body: dict[str, Any],
    request: TaskRequest,
    reply_to: str,
    shipped: int,
) -> tuple[TaskFinished, _LogShipper]:
    fileloc, log_path = local_paths(body, here.settings.dags_folder, here.settings.logs_folder)
    # Read XCom from (and trigger runs in) the database this worker was given.
    # (The queue did its job, bringing the try here; on this machine it runs locally.)
    local = replace(
        request,
        fileloc=fileloc,
        log_path=log_path,
        database_url=here.settings.database_url,
        queue=DEFAULT_QUEUE,
    )
    Path(log_path).parent.mkdir(parents=True, exist_ok=True)
    _publish(app, reply_to, TaskStarted(request.key, _now(), os.getpid(), socket.gethostname()))
    shipper = _LogShipper(local.log_path, request.log_path, shipped)
    return _run_in_worker(here, local, shipper), shipper


def _run_in_worker(here: _Process, request: TaskRequest, shipper: _LogShipper) -> TaskFinished:
    """Run ``request`` on this pool process's worker child; ship and heartbeat meanwhile."""
    executor = _executor(here)
    executor.submit(request)
    last_beat = time.monotonic()
    while True:
        timeout = TICK_S
        deadline = executor.next_deadline()
        if deadline is not None:
            timeout = min(timeout, max(0.0, deadline - time.monotonic()))
        wait(executor.wait_handles(), timeout)
        for event in executor.collect():
            if isinstance(event, TaskFinished) and event.key == request.key:
                return event
        # The database may be away for a while: the try goes on, and the log and the
        # heartbeat catch up when it is back (the outcome waits for it, see above).
        if shipper.has_news():
            before = shipper.offset
            try:
                with transaction(here.engine) as session:
                    shipper.ship(session)
            except DB_ERRORS:
                shipper.offset = before  # rolled back: ship those bytes again next time
        if time.monotonic() - last_beat >= HEARTBEAT_S:
            last_beat = time.monotonic()
            state = None
            try:
                with transaction(here.engine) as session:
                    state = try_claims.heartbeat(session, request.key, _now())
            except DB_ERRORS as exc:
                log.warning("cannot heartbeat %s: %s", request.key.label, exc)
            if state == try_claims.CANCEL_REQUESTED:
                executor.cancel(request.key)


def _executor(here: _Process) -> LocalExecutor:
    """This pool process's one-worker local executor, started on first use."""
    if here.executor is None:
        engine = here.engine
        # The child must not use the pool process's pooled connections.
        register_after_fork_in_worker(lambda: engine.dispose(close=False))
        here.executor = LocalExecutor(
            parallelism=1,
            worker_memory_limit_mb=here.settings.worker_memory_limit_mb,
            recycle_rss_mb=here.settings.worker_recycle_rss_mb,
            xcom_reader_factory=xcom_reader_for,
        )
        # Celery's pool processes are daemonic, and multiprocessing refuses children to a
        # daemon; this one stops its child itself (the executor's shutdown at exit, and the
        # child dies with it by PR_SET_PDEATHSIG), which is what the rule protects.
        multiprocessing.current_process()._config["daemon"] = False  # type: ignore[attr-defined]
        here.executor.start()
    return here.executor


class _LogShipper:
    """Appends what the try wrote to its local log since the last call to the database."""

    def __init__(self, local_path: str, recorded_path: str, shipped: int) -> None:
        self.local = Path(local_path)
        self.key = recorded_path  # what task_try.log_path says: readers look it up
        # Go on after what was shipped already (a log path used again), else from byte 0.
        self.offset = shipped

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
