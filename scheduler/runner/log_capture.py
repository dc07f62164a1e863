"""The try's log file: everything the task prints, and Baton's own lines, in one place.

Output is redirected at the file-descriptor level (``os.dup2`` onto fds 1 and 2), so a
``subprocess``, a C extension or a ``print`` all land in the log, not only Python's
``logging``. Baton's own lines go through the ``baton.task`` logger and look like
``[2026-11-28T12:00:00.123+0000] INFO - Starting try 1 of task extract (dag etl, run r1)``.

Fds 1/2 and the logging handler do not write the file themselves: they write into one pipe
that a thread of the worker reads, passing each complete line through
``scheduler.masking.redact`` before appending it to the file. So a connection password that
the task prints, logs, renders into a template or echoes from a bash command reaches the
log as ``***``. One pipe keeps stdout, stderr and logging lines in the order they were
written; the thread has drained everything before ``capture_output`` returns, so the log is
complete when the try's end is reported.
"""

from __future__ import annotations

import contextlib
import faulthandler
import logging
import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TextIO

from scheduler.masking import redact

TASK_LOGGER_NAME = "baton.task"
_READ_SIZE = 65536
# A "line" longer than this (binary output, a progress bar without newlines) is written
# out in pieces rather than held in memory until its newline comes.
_MAX_PENDING = 1 << 20


class BatonLogFormatter(logging.Formatter):
    """``[ISO time with milliseconds, UTC] LEVEL - message``; tracebacks follow the line."""

    def __init__(self) -> None:
        super().__init__("[%(asctime)s] %(levelname)s - %(message)s")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        return f"{stamp}.{int(record.msecs):03d}+0000"


def format_log_line(level: str, message: str) -> str:
    """One line in the log format, for writers that are not in the worker (the executor)."""
    record = logging.LogRecord(
        TASK_LOGGER_NAME, logging.getLevelName(level), "", 0, message, (), None
    )
    return BatonLogFormatter().format(record) + "\n"


def append_log_line(log_path: str | Path, level: str, message: str) -> None:
    """Append one Baton line to a try's log; never raises (the log is best effort here)."""
    try:
        path = Path(log_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as out:
            out.write(redact(format_log_line(level, message)))
    except OSError:
        pass


@contextmanager
def capture_output(log_path: str | Path) -> Iterator[logging.Logger]:
    """Send fds 1/2, ``sys.stdout``/``sys.stderr`` and logging into ``log_path``.

    Yields the ``baton.task`` logger. Everything is restored on exit, so a worker can run
    the next try with a clean slate. For the duration the root logger writes only to the
    try's log, so ``logging.info`` inside a task lands there (as Airflow users expect) and
    the host process's own handlers do not copy task lines elsewhere.
    """
    path = Path(log_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        pipe = stack.enter_context(_RedactingPipe.open(path))
        stack.enter_context(_crash_reports_into(pipe.log_fd))
        stack.enter_context(_redirect_fds(pipe.write_fd))
        stack.enter_context(_redirect_streams())
        yield stack.enter_context(_route_logging())


class _RedactingPipe:
    """A pipe whose reader thread redacts complete lines and appends them to the log file.

    The end is a random marker written after fds 1/2 are restored: everything written
    before it (by the task, its threads, its subprocesses) is in the log when ``close``
    returns, even if a background grandchild still holds the pipe open (it would otherwise
    keep the reader waiting for an end of file forever).
    """

    def __init__(self, path: Path) -> None:
        self.log_fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        self._read_fd, self.write_fd = os.pipe()
        self._marker = b"\0baton-end-of-try-" + os.urandom(8).hex().encode() + b"\n"
        self._writable = True
        self._thread = threading.Thread(target=self._pump, name="baton-log-redactor", daemon=True)

    @classmethod
    @contextmanager
    def open(cls, path: Path) -> Iterator[_RedactingPipe]:
        pipe = cls(path)
        pipe._thread.start()
        try:
            yield pipe
        finally:
            pipe._close()

    def _close(self) -> None:
        try:
            os.write(self.write_fd, self._marker)
        finally:
            os.close(self.write_fd)
            self._thread.join()
            os.close(self._read_fd)
            os.close(self.log_fd)

    def _pump(self) -> None:
        try:
            self._copy()
        except Exception:
            # Never leave the task blocked on a full pipe: drain it to the marker, unwritten.
            self._writable = False
            self._copy()

    def _copy(self) -> None:
        pending = b""
        while chunk := os.read(self._read_fd, _READ_SIZE):
            pending += chunk
            end = pending.find(self._marker)
            if end >= 0:
                self._write(pending[:end])
                return
            cut = pending.rfind(b"\n") + 1
            if not cut and len(pending) > _MAX_PENDING:
                cut = len(pending) - len(self._marker)  # never split a marker in two
            if cut > 0:
                self._write(pending[:cut])
                pending = pending[cut:]
        self._write(pending)

    def _write(self, data: bytes) -> None:
        if not data or not self._writable:
            return
        out = redact(data.decode("utf-8", errors="surrogateescape")).encode(
            "utf-8", errors="surrogateescape"
        )
        try:
            while out:
                out = out[os.write(self.log_fd, out) :]
        except OSError:
            # A full disk must not block the task on a pipe nobody drains: keep reading,
            # stop writing.
            self._writable = False


@contextmanager
def _crash_reports_into(fd: int) -> Iterator[None]:
    # A segfault kills the process, and the redacting thread with it, before the thread
    # could copy faulthandler's report from the pipe: the report (file names, lines and
    # function names, never values) goes straight to the log file instead.
    if not faulthandler.is_enabled():
        yield
        return
    faulthandler.enable(file=fd, all_threads=True)
    try:
        yield
    finally:
        faulthandler.enable(file=2, all_threads=True)  # fd 2: the worker's own stderr


@contextmanager
def _redirect_fds(target: int) -> Iterator[None]:
    _flush_std_streams()
    saved = (os.dup(1), os.dup(2))
    try:
        os.dup2(target, 1)
        os.dup2(target, 2)
        yield
    finally:
        _flush_std_streams()
        for fd, copy in zip((1, 2), saved, strict=True):
            os.dup2(copy, fd)
            os.close(copy)


@contextmanager
def _redirect_streams() -> Iterator[None]:
    # Fresh streams over the redirected fds: whatever sys.stdout was (pytest's capture, a
    # block-buffered pipe), prints now reach the log, line by line, in order with Baton's.
    saved = (sys.stdout, sys.stderr)
    streams = [_line_buffered(1), _line_buffered(2)]
    sys.stdout, sys.stderr = streams
    try:
        yield
    finally:
        _flush_std_streams()
        sys.stdout, sys.stderr = saved
        for stream in streams:
            stream.close()  # closefd=False: fds 1 and 2 stay open


def _line_buffered(fd: int) -> TextIO:
    return open(fd, "w", buffering=1, encoding="utf-8", errors="backslashreplace", closefd=False)


@contextmanager
def _route_logging() -> Iterator[logging.Logger]:
    # Into fd 2, i.e. the pipe: in order with the task's prints, and redacted like them.
    stream = _line_buffered(2)
    handler = logging.StreamHandler(stream)
    handler.setFormatter(BatonLogFormatter())
    logger, root = logging.getLogger(TASK_LOGGER_NAME), logging.getLogger()
    saved = (logger.handlers, logger.level, logger.propagate, root.handlers, root.level)
    logger.handlers, logger.propagate = [handler], False
    logger.setLevel(logging.INFO)
    root.handlers = [handler]
    if root.level == logging.NOTSET or root.level > logging.INFO:
        root.setLevel(logging.INFO)
    try:
        yield logger
    finally:
        logger.handlers, _, logger.propagate, root.handlers, _ = saved
        logger.setLevel(saved[1])
        root.setLevel(saved[4])
        handler.close()
        stream.close()  # flushes; closefd=False leaves fd 2 to _redirect_fds


def _flush_std_streams() -> None:
    for stream in (sys.stdout, sys.stderr):
        # A closed or exotic stream must not stop the try.
        with contextlib.suppress(OSError, ValueError, AttributeError):
            stream.flush()
