"""The Celery executor: tries run on ``baton celery worker`` processes, on any machine.

``submit`` publishes the try to the Celery queue named by the task's ``queue=`` and returns.
Workers report ``TaskStarted``/``TaskFinished`` to a queue of this executor's own on the
same broker (``baton.events.<host>.<pid>.<id>``); a background thread consumes it and
makes a socket readable, which is what ``wait_handles`` gives the Engine, so an outcome is
acted on the moment it arrives, with no polling sleep. (Measured against Redis pub/sub and
PostgreSQL LISTEN/NOTIFY in ``bench/event_channels.py``: see docs/scaling.md.)

``free_slots`` is ``BATON_PARALLELISM`` minus the tries in flight: the cap on tries
running at once across all workers, as Airflow's ``[core] parallelism``. A worker that
stops heartbeating a try it claimed (killed, its machine gone) fails that try after
``CeleryExecutor.LOST_AFTER_S``, with the reason.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
import uuid
from collections import deque
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import wait as wait_for
from typing import Any

from celery import Celery

from scheduler.errors import ExecutorError
from scheduler.executor import (
    Executor,
    ExecutorEvent,
    TaskFinished,
    TaskRequest,
    TryKey,
)
from scheduler.executors.celery_app import TASK_NAME, events_queue, make_celery_app
from scheduler.executors.celery_messages import decode_event, encode_request
from scheduler.runner import append_log_line
from scheduler.settings import Settings
from scheduler.store import try_claims
from scheduler.store.db import make_engine, transaction

log = logging.getLogger("baton.celery")

SHUTDOWN_TIMEOUT_S = 60.0


class CeleryExecutor(Executor):
    """See the module docstring."""

    LOST_AFTER_S = 30.0  # a claimed try whose heartbeat is older than this lost its worker
    LOST_CHECK_S = 5.0  # how often the claims of running tries are looked at

    def __init__(self, settings: Settings, parallelism: int | None = None) -> None:
        self.settings = settings
        self.parallelism = parallelism or settings.parallelism
        if self.parallelism < 1:
            raise ExecutorError(f"parallelism={self.parallelism} must be at least 1")
        self.app: Celery | None = None
        self.reply_to = f"baton.events.{socket.gethostname()}.{os.getpid()}.{uuid.uuid4().hex[:8]}"
        self._in_flight: dict[TryKey, TaskRequest] = {}
        self._started: set[TryKey] = set()
        self._inbox: deque[ExecutorEvent] = deque()  # filled by the listener thread
        self._events: list[ExecutorEvent] = []  # made here
        self._ready_r, self._ready_w = socket.socketpair()
        self._ready_r.setblocking(False)
        self._ready_w.setblocking(False)
        self._listener: threading.Thread | None = None
        self._listening = threading.Event()
        self._stop = threading.Event()
        self._next_lost_check = 0.0
        self._engine: Any = None
        self._state = "new"

    # -- the Executor interface ------------------------------------------------------------
    def start(self) -> None:
        if self._state != "new":
            return
        self.app = make_celery_app(self.settings)
        self._engine = make_engine(self.settings.database_url)
        self._listener = threading.Thread(target=self._listen, name="baton-celery-events")
        self._listener.daemon = True
        self._listener.start()
        if not self._listening.wait(30.0):
            raise ExecutorError(
                "the Celery executor could not reach its broker at BATON_CELERY_BROKER_URL "
                "within 30 s; check that the broker runs and the URL is right"
            )
        self._state = "running"

    def submit(self, request: TaskRequest) -> None:
        if self._state != "running" or self.app is None:
            raise ExecutorError(
                f"cannot submit {request.key.label}: the Celery executor is {self._state}; "
                "call start() first (and not after shutdown())"
            )
        body = encode_request(request, self.settings.dags_folder, self.settings.logs_folder)
        self._in_flight[request.key] = request
        self.publish(body, request.queue)

    def publish(self, body: dict[str, Any], queue: str) -> None:
        """Send one try message (public for tests that play the broker redelivering it)."""
        assert self.app is not None
        self.app.send_task(TASK_NAME, args=[body, self.reply_to], queue=queue)

    def cancel(self, key: TryKey) -> None:
        request = self._in_flight.get(key)
        if request is None:
            return
        with transaction(self._engine) as session:
            running = try_claims.request_cancel(session, key, _now())
        if not running:  # no worker has it, and none will run it now
            self._give_up(request, "cancelled before it started", retryable=False)

    def wait_handles(self) -> list[Any]:
        return [self._ready_r]

    def collect(self) -> list[ExecutorEvent]:
        with contextlib.suppress(BlockingIOError):
            while self._ready_r.recv(4096):
                pass
        events, self._events = self._events, []
        while self._inbox:
            events.append(self._inbox.popleft())
        for event in events:
            if isinstance(event, TaskFinished):
                self._in_flight.pop(event.key, None)
                self._started.discard(event.key)
            else:
                self._started.add(event.key)
        if self._state == "running" and time.monotonic() >= self._next_lost_check:
            self._next_lost_check = time.monotonic() + self.LOST_CHECK_S
            events += self._lost_tries()
        return events

    def next_deadline(self) -> float | None:
        """When ``collect`` next looks for tries whose worker stopped heartbeating."""
        return self._next_lost_check if self._started else None

    @property
    def free_slots(self) -> int:
        if self._state != "running":
            return 0
        return max(0, self.parallelism - len(self._in_flight))

    def shutdown(self, wait: bool = True) -> None:
        """With ``wait``, let tries in flight finish (up to ``SHUTDOWN_TIMEOUT_S``); those
        left are cancelled on their workers and reported failed."""
        if self._state in ("new", "closed"):
            self._state = "closed"
            return
        self._state = "closing"
        give_up = time.monotonic() + (SHUTDOWN_TIMEOUT_S if wait else 0.0)
        kept: list[ExecutorEvent] = []
        while self._in_flight and time.monotonic() < give_up:
            wait_for(self.wait_handles(), min(1.0, max(0.0, give_up - time.monotonic())))
            kept += self.collect()
        for key, request in list(self._in_flight.items()):
            with transaction(self._engine) as session:
                running = try_claims.request_cancel(session, key, _now())
            what = "finished" if running else "started"
            self._give_up(request, f"the executor shut down before the task {what}")
        self._events = kept + self._events
        self._in_flight.clear()
        self._stop.set()
        if self._listener is not None:
            self._listener.join(timeout=5.0)
        self._engine.dispose()
        self._state = "closed"

    # -- events ----------------------------------------------------------------------------
    def _listen(self) -> None:
        """Consume this executor's events queue until shutdown, reconnecting as needed."""
        assert self.app is not None
        queue = events_queue(self.reply_to)
        while not self._stop.is_set():
            try:
                with self.app.connection_for_read() as connection:
                    consumer = connection.Consumer([queue], callbacks=[self._on_message])
                    consumer.accept = {"application/json"}
                    with consumer:
                        self._listening.set()
                        while not self._stop.is_set():
                            with contextlib.suppress(TimeoutError, socket.timeout):
                                connection.drain_events(timeout=1.0)
                    with contextlib.suppress(Exception):
                        queue.bind(connection).delete()
            except Exception as exc:  # the broker went away: say so, retry
                if self._stop.is_set():
                    return
                log.warning("Celery events: %r; reconnecting in 1 s", exc)
                time.sleep(1.0)

    def _on_message(self, body: dict[str, Any], message: Any) -> None:
        try:
            self._inbox.append(decode_event(body))
        except Exception:
            log.exception("dropping a malformed event from a Celery worker: %r", body)
        message.ack()
        with contextlib.suppress(BlockingIOError):
            self._ready_w.send(b"!")

    def _give_up(self, request: TaskRequest, reason: str, retryable: bool = True) -> None:
        """Report ``request`` failed from here (no worker will report it)."""
        self._in_flight.pop(request.key, None)
        self._started.discard(request.key)
        append_log_line(request.log_path, "ERROR", reason)
        append_log_line(request.log_path, "INFO", "Marking task as FAILED")
        finished = TaskFinished(request.key, "failed", None, _now(), reason, retryable)
        self._events.append(finished)
        with contextlib.suppress(BlockingIOError):
            self._ready_w.send(b"!")

    def _lost_tries(self) -> list[ExecutorEvent]:
        """Tries whose worker stopped heartbeating: failed with the reason."""
        stale_before = _now() - timedelta(seconds=self.LOST_AFTER_S)
        lost: list[ExecutorEvent] = []
        for key in list(self._started):
            with transaction(self._engine) as session:
                claim = try_claims.get_claim(session, key)
                if claim is None or claim.state == try_claims.FINISHED:
                    continue
                if claim.heartbeat_at >= stale_before:
                    continue
                try_claims.finish(session, key, _now())
            request = self._in_flight.get(key)
            if request is None:
                continue
            reason = (
                f"the Celery worker {claim.worker} running this try stopped heartbeating "
                f"(last at {claim.heartbeat_at:%H:%M:%S} UTC)"
            )
            self._give_up(request, reason)
            lost.append(self._events.pop())
        return lost


def _now() -> datetime:
    return datetime.now(UTC)
