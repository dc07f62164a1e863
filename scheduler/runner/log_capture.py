"""The try's log file: everything the task prints, and Baton's own lines, in one place.

Output is redirected at the file-descriptor level (``os.dup2`` onto fds 1 and 2), so a
``subprocess``, a C extension or a ``print`` all land in the log, not only Python's
``logging``. Baton's own lines go through the ``baton.task`` logger and look like
``[2026-11-28T12:00:00.123+0000] INFO - Starting try 1 of task extract (dag etl, run r1)``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TextIO

TASK_LOGGER_NAME = "baton.task"


class BatonLogFormatter(logging.Formatter):
    """``[ISO time with milliseconds, UTC] LEVEL - message``; tracebacks follow the line."""

    converter = time.gmtime

    def __init__(self) -> None:
        super().__init__("[%(asctime)s] %(levelname)s - %(message)s")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", self.converter(record.created))
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
            out.write(format_log_line(level, message))
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
        stack.enter_context(_redirect_fds(path))
        stack.enter_context(_redirect_streams())
        yield stack.enter_context(_route_logging(path))


@contextmanager
def _redirect_fds(path: Path) -> Iterator[None]:
    _flush_std_streams()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        saved = (os.dup(1), os.dup(2))
    except OSError:
        os.close(fd)
        raise
    try:
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        yield
    finally:
        _flush_std_streams()
        for target, copy in zip((1, 2), saved, strict=True):
            os.dup2(copy, target)
            os.close(copy)
        os.close(fd)


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
def _route_logging(path: Path) -> Iterator[logging.Logger]:
    handler = logging.FileHandler(path, mode="a", encoding="utf-8")
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


def _flush_std_streams() -> None:
    for stream in (sys.stdout, sys.stderr):
        # A closed or exotic stream must not stop the try.
        with contextlib.suppress(OSError, ValueError, AttributeError):
            stream.flush()
