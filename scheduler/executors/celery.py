"""The Celery executor: tries run on ``baton celery worker`` processes, on any machine.

``submit`` publishes the try to the Celery queue named by the task's ``queue=`` and returns.
Workers report ``TaskStarted``/``TaskFinished`` to a queue of this executor's own on the
same broker (``baton.events.<host>.<pid>.<id>``); a background thread consumes it and
makes a socket readable, which is what ``wait_handles`` gives the Engine, so an outcome is
acted on the moment it arrives, with no polling sleep. (Measured against Redis pub/sub and
PostgreSQL LISTEN/NOTIFY in ``bench/event_channels.py``: see docs/scaling.md.)

``free_slots`` is ``BATON_PARALLELISM`` minus the tries in flight: the cap on tries
running at once across all workers, as Airflow's ``[core] parallelism``. A worker that
stops heartbeating a try it claimed (killed, its machine gone) loses that try after
``BATON_TASK_INSTANCE_HEARTBEAT_TIMEOUT``: the Engine re-runs it at once, on another
worker, without using up a retry.

Tries outlive their scheduler: ``detach`` leaves them running, and the scheduler that takes
over their DAG adopts them (``try_adopt_task_instances``). Their events still go to the old
scheduler's queue, so the new one reads their outcome from the claim row, where the worker
keeps a copy of it.
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

    LOST_CHECK_S = 2.0  # how often the claims of running tries are looked at

    def __init__(self, settings: Settings, parallelism: int | None = None) -> None:
        self.settings = settings
        self.parallelism = parallelism or settings.parallelism
        if self.parallelism < 1:
            raise ExecutorError(f"parallelism={self.parallelism} must be at least 1")
        self.app: Celery | None = None
        # A claimed try whose heartbeat is older than this lost its worker.
        self.lost_after_s = settings.task_instance_heartbeat_timeout
        self.reply_to = f"baton.events.{socket.gethostname()}.{os.getpid()}.{uuid.uuid4().hex[:8]}"
        self._in_flight: dict[TryKey, TaskRequest | None] = {}  # None: adopted
        # Tries submitted while the broker was away, to publish when it is back.
        self._unsent: deque[tuple[TryKey, dict[str, Any], str]] = deque()
        self._send_retry_at: float | None = None
        self._send_warned_at = float("-inf")
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
        self._unsent.append((request.key, body, request.queue))
        self._send_unsent()

    def publish(self, body: dict[str, Any], queue: str) -> None:
        """Send one try message (public for tests that play the broker redelivering it).
        Fails fast when the broker is away: the caller keeps the message for later."""
        assert self.app is not None
        self.app.send_task(TASK_NAME, args=[body, self.reply_to], queue=queue, retry=False)

    def _send_unsent(self) -> None:
        """Publish the tries waiting for the broker, oldest first. While it is away (a
        restart) they wait here, still queued, and go out when it is back; the loop never
        blocks on the broker."""
        now = time.monotonic()
        while self._unsent:
            key, body, queue = self._unsent[0]
            if key not in self._in_flight:  # cancelled meanwhile
                self._unsent.popleft()
                continue
            try:
                self.publish(body, queue)
            except Exception as exc:
                self._send_retry_at = now + 1.0
                if now - self._send_warned_at >= 1.0:
                    self._send_warned_at = now
                    log.warning(
                        "cannot publish to the Celery broker: %s; %d try(s) wait to be sent",
                        exc,
                        len(self._unsent),
                    )
                return
            self._unsent.popleft()
        self._send_retry_at = None

    def cancel(self, key: TryKey) -> None:
        if key not in self._in_flight:
            return
        request = self._in_flight[key]
        with transaction(self._engine) as session:
            running = try_claims.request_cancel(session, key, _now())
        if not running:  # no worker has it, and none will run it now
            log_path = request.log_path if request else None
            self._report_failed(key, log_path, "cancelled before it started", False, False)

    def try_adopt_task_instances(self, keys: list[TryKey]) -> list[TryKey]:
        """Adopt the tries a Celery worker still runs, or has finished; return the others.

        A try nobody claimed yet gets a ``cancelled`` claim first, in the same compare-and-set
        a worker's claim uses: if its message is still in the broker, the worker that takes
        it drops it, since the Engine re-runs the try under a new number. If a worker
        claimed it in between, the insert finds that claim and the try is adopted."""
        if not keys or self._state != "running":
            return list(keys)
        stale_before = _now() - timedelta(seconds=self.lost_after_s)
        not_adopted = []
        with transaction(self._engine) as session:
            claims = try_claims.get_claims(session, keys)
            for key in keys:
                claim = claims.get(key)
                if claim is None:
                    if try_claims.request_cancel(session, key, _now()):
                        claim = try_claims.get_claim(session, key)
                    if claim is None:
                        not_adopted.append(key)
                        continue
                if _adoptable(claim, stale_before):
                    self._in_flight[key] = None
                    self._started.add(key)
                else:
                    if claim.state != try_claims.FINISHED:
                        try_claims.finish(session, key, _now())
                    not_adopted.append(key)
        if len(not_adopted) < len(keys):
            self._next_lost_check = 0.0  # read finished ones' outcomes at the next collect
        return not_adopted

    def detach(self) -> list[TryKey]:
        """Stop listening, leaving the tries in flight to their workers; return them."""
        surviving = list(self._in_flight)
        self._in_flight.clear()
        self.shutdown(wait=False)
        return surviving

    def wait_handles(self) -> list[Any]:
        return [self._ready_r]

    def collect(self) -> list[ExecutorEvent]:
        with contextlib.suppress(BlockingIOError):
            while self._ready_r.recv(4096):
                pass
        events, self._events = self._events, []
        while self._inbox:
            event = self._inbox.popleft()
            # Only tries in flight here: an outcome already read from the try's claim (its
            # broker event came late) or a try this executor gave up is not reported twice.
            if event.key in self._in_flight:
                events.append(event)
        for event in events:
            if isinstance(event, TaskFinished):
                self._in_flight.pop(event.key, None)
                self._started.discard(event.key)
            else:
                self._started.add(event.key)
        if self._state == "running" and time.monotonic() >= self._next_lost_check:
            self._next_lost_check = time.monotonic() + self.LOST_CHECK_S
            events += self._check_claims()
        if self._unsent and time.monotonic() >= (self._send_retry_at or 0.0):
            self._send_unsent()
        return events

    def next_deadline(self) -> float | None:
        """When ``collect`` next looks for tries whose worker stopped heartbeating, or
        tries to send what waits for the broker."""
        times = [self._next_lost_check] if self._started else []
        if self._send_retry_at is not None:
            times.append(self._send_retry_at)
        return min(times, default=None)

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
            reason = f"the executor shut down before the task {what}"
            self._report_failed(key, request.log_path if request else None, reason, True, False)
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

    def _report_failed(
        self, key: TryKey, log_path: str | None, reason: str, retryable: bool, lost: bool
    ) -> None:
        self._in_flight.pop(key, None)
        self._started.discard(key)
        if log_path:
            append_log_line(log_path, "ERROR", reason)
        finished = TaskFinished(key, "failed", None, _now(), reason, retryable, lost=lost)
        self._events.append(finished)
        with contextlib.suppress(BlockingIOError):
            self._ready_w.send(b"!")

    def _check_claims(self) -> list[ExecutorEvent]:
        """Look at the claims of the tries in flight that started: a finished one whose
        event never came here (adopted from another scheduler, or lost on the way) gives
        its outcome; one whose worker stopped heartbeating is lost."""
        started = [key for key in self._started if key in self._in_flight]
        if not started:
            return []
        stale_before = _now() - timedelta(seconds=self.lost_after_s)
        try:
            with transaction(self._engine) as session:
                claims = try_claims.get_claims(session, started)
                for key, claim in claims.items():
                    if claim.state != try_claims.FINISHED and claim.heartbeat_at < stale_before:
                        try_claims.finish(session, key, _now())
        except Exception as exc:  # the database is away: look again next time
            log.warning("cannot read the Celery try claims: %s", exc)
            return []
        events: list[ExecutorEvent] = []
        # A try of this executor's own reports through the broker: its claim's outcome is
        # used only when that event is overdue (lost on the way), not in the race with it.
        overdue = _now() - timedelta(seconds=self.LOST_CHECK_S * 2)
        for key, claim in claims.items():
            sent_here = self._in_flight.get(key) is not None
            if sent_here and claim.state == try_claims.FINISHED and claim.heartbeat_at > overdue:
                continue
            if claim.state == try_claims.FINISHED and claim.outcome:
                events.append(decode_event(claim.outcome))
                self._in_flight.pop(key, None)
                self._started.discard(key)
            elif claim.heartbeat_at < stale_before:
                request = self._in_flight.get(key)
                reason = (
                    f"the Celery worker {claim.worker} running this try stopped heartbeating "
                    f"(last at {claim.heartbeat_at:%H:%M:%S} UTC); re-running it elsewhere"
                )
                self._report_failed(key, request.log_path if request else None, reason, True, True)
                events.append(self._events.pop())
        return events


def _adoptable(claim: Any, stale_before: datetime) -> bool:
    """A claim whose try still runs on a live worker, or finished with its outcome kept."""
    if claim.state == try_claims.FINISHED:
        return claim.outcome is not None
    if claim.state == try_claims.CANCELLED:
        return False
    return claim.heartbeat_at >= stale_before


def _now() -> datetime:
    return datetime.now(UTC)
