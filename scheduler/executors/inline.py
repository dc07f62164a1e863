"""The inline executor: each try runs right away, in this process, one after the other.

Used by ``baton dags test`` and unit tests: no worker processes, deterministic order, and a
debugger stops inside the task. A task that calls ``os._exit`` or crashes the interpreter
takes the caller down with it; use the local executor for untrusted code.

Without an XCom reader factory the executor keeps the XComs of finished tries in memory, so
a run's tasks see each other's results without a database.
"""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime
from typing import Any

from scheduler.errors import ExecutorError
from scheduler.executor import (
    Executor,
    ExecutorEvent,
    TaskRequest,
    TaskStarted,
    TryKey,
)
from scheduler.executors.wakeup import Wakeup
from scheduler.runner import InMemoryXComReader, XComReaderFactory, run_try


class InlineExecutor(Executor):
    """Runs each submitted try to completion inside ``submit``."""

    def __init__(self, xcom_reader_factory: XComReaderFactory | None = None) -> None:
        self._factory = xcom_reader_factory
        self.xcoms = InMemoryXComReader()  # used only without a factory
        self._events: list[ExecutorEvent] = []
        self._wakeup: Wakeup | None = None
        self._hostname = socket.gethostname()

    def start(self) -> None:
        if self._wakeup is None:
            self._wakeup = Wakeup()

    def submit(self, request: TaskRequest) -> None:
        wakeup = self._require_started()
        started = TaskStarted(request.key, datetime.now(UTC), os.getpid(), self._hostname)
        self._events.append(started)
        reader = self._factory(request) if self._factory else self.xcoms
        finished = run_try(request, reader)
        if self._factory is None:
            self.xcoms.record(finished)
        self._events.append(finished)
        wakeup.set()

    def cancel(self, key: TryKey) -> None:
        """Nothing to do: a try is never running between two calls."""

    def wait_handles(self) -> list[Any]:
        return [self._require_started().handle]

    def collect(self) -> list[ExecutorEvent]:
        events, self._events = self._events, []
        if self._wakeup is not None:
            self._wakeup.clear()
        return events

    def shutdown(self, wait: bool = True) -> None:
        if self._wakeup is not None:
            self._wakeup.close()
            self._wakeup = None

    @property
    def free_slots(self) -> int:
        return 1

    def _require_started(self) -> Wakeup:
        if self._wakeup is None:
            raise ExecutorError(
                "the inline executor is not started (or already shut down); call start() first"
            )
        return self._wakeup
