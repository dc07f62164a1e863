"""The child processes that run callbacks for the scheduler's side threads (DAG callbacks,
deadline alerts, tries longer than usual): each a ``python -m <module> args...`` whose
output is its log, killed when it runs past ``TIMEOUT``."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Hashable, Sequence
from pathlib import Path
from typing import Generic, TypeVar

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from scheduler.settings import Settings
from scheduler.store.db import make_engine, transaction

log = logging.getLogger(__name__)

TIMEOUT = 300.0

#: What names a callback process: a DAG callback's event id, a deadline's id, a try's key.
Key = TypeVar("Key", bound=Hashable)


class CallbackProcesses(Generic[Key]):
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.running: dict[Key, tuple[subprocess.Popen[bytes], float]] = {}

    def start(self, key: Key, module: str, args: Sequence[str], log_path: Path) -> None:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(log_path, "ab") as output:
            process = subprocess.Popen(
                [sys.executable, "-m", module, *args],
                stdout=output,
                stderr=subprocess.STDOUT,
                env={**os.environ, "BATON_HOME": str(self.settings.home)},
            )
        self.running[key] = (process, time.monotonic())
        log.info("%s %s started (pid %d)", module, " ".join(args), process.pid)

    def reap(self) -> list[tuple[Key, int]]:
        """The processes that ended since the last call, with their exit status."""
        ended = []
        for key, (process, started) in list(self.running.items()):
            code = process.poll()
            if code is None and time.monotonic() - started > TIMEOUT:
                process.kill()
                code = process.wait()
            if code is not None:
                del self.running[key]
                ended.append((key, code))
        return ended


def outcome(code: int) -> tuple[str, str | None]:
    """``(state, error)`` of a callback process that exited with ``code``."""
    if code == 0:
        return "success", None
    return "failed", f"the callback process exited {code}; see its log"


def callback_log_path(settings: Settings, dag_id: str, run_id: str, name: str) -> Path:
    """``logs/dag_id=.../run_id=.../dag_callbacks/<name>.log``: beside the run's task logs."""
    run = run_id.replace("/", "_")
    folder = settings.logs_folder / f"dag_id={dag_id}" / f"run_id={run}"
    return folder / "dag_callbacks" / f"{name}.log"


def poll_forever(
    settings: Settings, what: str, step: Callable[[Engine, Engine], None], every: float
) -> threading.Thread:
    """A daemon thread calling ``step(reader, writer)`` every ``every`` seconds with database
    engines of its own: a step reads first and writes only when it has something to write
    (on SQLite a write transaction takes the database's write lock, which the scheduler's
    loop needs). An error (a database outage) is logged and the next step tries again."""

    def loop() -> None:
        reader = make_engine(settings.database_url, write=False)
        writer = make_engine(settings.database_url)
        while True:
            try:
                step(reader, writer)
            except Exception as exc:
                log.error("%s: %s; trying again", what, exc)
            time.sleep(every)

    thread = threading.Thread(target=loop, name=f"baton-{what.replace(' ', '-')}", daemon=True)
    thread.start()
    return thread


class CallbackWatch(Generic[Key]):
    """A side thread's work: every ``POLL_SECONDS``, ``check`` what needs a callback
    (starting its process with ``self.processes``), then record how the processes that
    ended went (``record``). Subclasses set ``WHAT`` and implement both."""

    WHAT = "callback watch"
    POLL_SECONDS = 1.0
    MODULE = "scheduler.notifications.timing_callback"

    def __init__(self, settings: Settings, source: str) -> None:
        self.settings = settings
        self.source = source
        self.processes: CallbackProcesses[Key] = CallbackProcesses(settings)

    @classmethod
    def start(cls, settings: Settings, source: str) -> threading.Thread:
        return poll_forever(settings, cls.WHAT, cls(settings, source).step, cls.POLL_SECONDS)

    def step(self, reader: Engine, writer: Engine) -> None:
        self.check(reader, writer)
        for key, code in self.processes.reap():
            state, error = outcome(code)
            with transaction(writer) as session:
                self.record(session, key, state, error)

    def check(self, reader: Engine, writer: Engine) -> object:
        raise NotImplementedError

    def record(self, session: Session, key: Key, state: str, error: str | None) -> None:
        raise NotImplementedError
