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
from contextlib import contextmanager
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
    the next try with a clean slate; the root logger gets the same handler for the duration
    so that ``logging.info`` inside a task lands in the log, as Airflow users expect.
    """
    path = Path(log_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _flush_std_streams()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    saved_fds = (os.dup(1), os.dup(2))
    saved_streams = (sys.stdout, sys.stderr)
    handler = logging.FileHandler(path, mode="a", encoding="utf-8")
    handler.setFormatter(BatonLogFormatter())
    logger, root = logging.getLogger(TASK_LOGGER_NAME), logging.getLogger()
    saved_levels = (logger.level, root.level)
    streams: list[TextIO] = []
    try:
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        streams = [_line_buffered(1), _line_buffered(2)]
        sys.stdout, sys.stderr = streams
        _attach(handler, logger, root)
        yield logger
    finally:
        _detach(handler, logger, root, saved_levels)
        _flush_std_streams()
        sys.stdout, sys.stderr = saved_streams
        for stream in streams:
            stream.close()  # closefd=False: fds 1 and 2 stay open
        for target, saved in zip((1, 2), saved_fds, strict=True):
            os.dup2(saved, target)
            os.close(saved)
        os.close(fd)


def _line_buffered(fd: int) -> TextIO:
    # A fresh stream over the redirected fd: whatever sys.stdout was (pytest's capture, a
    # block-buffered pipe), prints now reach the log, in order with Baton's lines.
    return open(fd, "w", buffering=1, encoding="utf-8", errors="backslashreplace", closefd=False)


def _attach(handler: logging.Handler, logger: logging.Logger, root: logging.Logger) -> None:
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > logging.INFO:
        root.setLevel(logging.INFO)


def _detach(
    handler: logging.Handler,
    logger: logging.Logger,
    root: logging.Logger,
    saved_levels: tuple[int, int],
) -> None:
    logger.removeHandler(handler)
    root.removeHandler(handler)
    logger.setLevel(saved_levels[0])
    root.setLevel(saved_levels[1])
    handler.close()


def _flush_std_streams() -> None:
    for stream in (sys.stdout, sys.stderr):
        # A closed or exotic stream must not stop the try.
        with contextlib.suppress(OSError, ValueError, AttributeError):
            stream.flush()
