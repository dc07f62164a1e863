"""The loader process: a long-lived child of the scheduler that keeps the DAGs up to date.

It is started with the ``spawn`` method, not ``fork``: the scheduler may hold database
connections and threads (forking a threaded process can deadlock the child on a lock some
other thread held), and a fresh interpreter that imports only the authoring API keeps the
loader small (~35 MB), which matters because each parse child starts as a copy of it.

The loader parses every DAG file once, then every ``interval`` seconds stats the folder and
re-parses new or changed files, reporting deleted ones (see ``scheduler.loader.messages``).
It dies with the scheduler (``PR_SET_PDEATHSIG``) and ignores Ctrl-C: the scheduler decides
when it stops. Commands from the scheduler (rescan, stop) are read between passes.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import multiprocessing
import os
import signal
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from scheduler.errors import LoaderError
from scheduler.loader.messages import FileParsed, FilesDeleted, LoaderMessage, ScanComplete
from scheduler.loader.ownership import DagOwnership
from scheduler.loader.parse import parse_files
from scheduler.loader.warmup import warm_up
from scheduler.loader.watcher import FolderWatcher
from scheduler.processes import die_with_parent, set_process_name

log = logging.getLogger(__name__)

_RESCAN = "rescan"
_FULL_RESCAN = "full-rescan"
_STOP = "stop"
_MAX_SILENT_DEATHS = 3
STOP_GRACE_S = 0.1
"""How long a stopping loader may finish what it is doing before it is terminated."""


@dataclass(frozen=True)
class LoaderConfig:
    dags_folder: Path
    interval: float
    timeout: float
    parallelism: int
    files_per_child: int | None = None


class LoaderProcess:
    """The scheduler's handle on the loader process.

    Wait on ``connection`` (with ``multiprocessing.connection.wait``) and call
    ``receive_all()`` when it is ready. If the loader died (a DAG file killed its parent, say),
    ``receive_all()`` starts a new one, which parses everything again; ``connection`` then is
    a new object, so read the property each time you build the list of handles to wait on.
    """

    def __init__(
        self,
        dags_folder: Path,
        interval: float,
        timeout: float,
        parallelism: int,
        files_per_child: int | None = None,
    ) -> None:
        """``files_per_child=1`` gives every file a process of its own even in the first,
        large pass (~3x the CPU time); ``None`` batches large passes (see ``parse_files``)."""
        folder = Path(os.path.abspath(dags_folder))
        self.config = LoaderConfig(folder, interval, timeout, parallelism, files_per_child)
        self._process: multiprocessing.process.BaseProcess | None = None
        self._conn: Connection | None = None
        self.restarts = 0
        self._silent_deaths = 0  # deaths in a row before the loader sent anything
        self._heard_from = False

    def start(self) -> None:
        # Forked: the scheduler has already imported what the loader needs, so the loader
        # is ready at once (spawn re-imports everything: ~0.5 s before the first parse).
        # The scheduler starts it first, before it opens connections or starts workers;
        # the loader never touches inherited handles and leaves with os._exit.
        context = multiprocessing.get_context("fork")
        ours, theirs = context.Pipe(duplex=True)
        process = context.Process(
            target=loader_main,
            args=(theirs, self.config, os.getpid()),
            name="baton-dag-loader",
            daemon=True,
        )
        process.start()
        theirs.close()
        self._process, self._conn = process, ours
        self._heard_from = False

    @property
    def connection(self) -> Connection:
        if self._conn is None:
            raise RuntimeError("LoaderProcess.start() was not called; start the loader first")
        return self._conn

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def is_alive(self) -> bool:
        return self._process is not None and self._process.is_alive()

    def receive_all(self) -> list[LoaderMessage]:
        """Every message waiting now, without blocking; restarts a loader that died."""
        messages: list[LoaderMessage] = []
        if self._process is None:  # stopped (or never started): nothing will come
            return messages
        try:
            while self.connection.poll():
                messages.append(self.connection.recv())
                self._heard_from = True
        except (EOFError, OSError):
            self._restart()
        return messages

    def request_rescan(self, full: bool = False) -> None:
        """Scan the folder now instead of at the next interval; ``full`` re-parses every file."""
        self._send(_FULL_RESCAN if full else _RESCAN)

    def stop(self, grace: float = STOP_GRACE_S, timeout: float = 5.0) -> None:
        """Ask the loader to stop; if it is still busy after ``grace`` seconds (a pass
        waiting on a slow or hanging DAG file), terminate it: it then kills its parse
        children and their process groups and exits (``loader_main``), in milliseconds.
        A scheduler asked to stop must not wait for an import's time limit."""
        if self._process is None:
            return
        self._send(_STOP)
        self._process.join(grace)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(timeout)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()
        self.connection.close()
        self._process = None

    def _send(self, command: str) -> None:
        with contextlib.suppress(OSError):  # it died; receive_all() notices and restarts it
            self.connection.send(command)

    def _restart(self) -> None:
        """Replace a loader that died; give up when it keeps dying before saying anything."""
        process = self._process
        if process is not None:
            process.join(1.0)
        code = process.exitcode if process is not None else None
        self.connection.close()
        self._process = None
        self._silent_deaths = 0 if self._heard_from else self._silent_deaths + 1
        if self._silent_deaths >= _MAX_SILENT_DEATHS:
            raise LoaderError(
                f"the DAG loader process died {self._silent_deaths} times in a row before "
                f"reporting anything (last exit code {code}); its traceback, if any, is on the "
                "scheduler's stderr: usually a Baton install whose modules fail to import"
            )
        log.error(
            "the DAG loader process died (exit code %s); starting a new one, which parses "
            "every DAG file again",
            code,
        )
        self.restarts += 1
        self.start()


def loader_main(conn: Connection, config: LoaderConfig, parent_pid: int) -> None:
    """The loader process's entry point."""
    die_with_parent(signal.SIGKILL, parent_pid)
    set_process_name("baton-loader")
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Not the scheduler's handler (if forked late): SIGTERM (``stop``) unwinds the pass, so
    # the parse children and what their DAG files started are killed on the way out.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    warm_up()
    gc.freeze()  # parse children then share these pages instead of copying them
    # EOF or a broken pipe: the scheduler went away, there is nobody left to report to.
    with contextlib.suppress(EOFError, BrokenPipeError, ConnectionResetError):
        _LoaderLoop(conn, config).run()


def _exit_on_sigterm(_signum: int, _frame: object) -> None:
    raise SystemExit(0)


class _LoaderLoop:
    def __init__(self, conn: Connection, config: LoaderConfig) -> None:
        self.conn = conn
        self.config = config
        self.watcher = FolderWatcher(config.dags_folder)
        self.owners = DagOwnership()

    def run(self) -> None:
        while True:
            self.run_pass()
            command = self._next_command()
            if command == _STOP:
                return
            if command == _FULL_RESCAN:
                self.watcher.forget_stamps()

    def run_pass(self) -> None:
        started = time.monotonic()
        plan = self.watcher.scan()
        if plan.removed:
            self.conn.send(FilesDeleted(plan.removed))
            for result in self.owners.remove(plan.removed):
                self.conn.send(FileParsed(result))
        config = self.config
        parsed = parse_files(
            plan.to_parse,
            timeout=config.timeout,
            parallelism=config.parallelism,
            files_per_child=config.files_per_child,
        )
        for raw in parsed:
            for result in self.owners.update(raw):
                self.conn.send(FileParsed(result))
        self.conn.send(ScanComplete(plan.files, time.monotonic() - started))

    def _next_command(self) -> str | None:
        """Wait up to ``interval`` for a command; several waiting ones merge into one."""
        if not self.conn.poll(self.config.interval):
            return None
        commands = set()
        while self.conn.poll():
            commands.add(self.conn.recv())
        for command in (_STOP, _FULL_RESCAN, _RESCAN):
            if command in commands:
                return command
        return None
