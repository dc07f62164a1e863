"""The forked child's side of ``scheduler.loader.isolation``: run the work, answer, leave.

A child gets a list of items (usually one). For each, in order, it runs ``work(item)`` and
writes one frame to the answer pipe: ``(index, output_end, length)`` then ``length`` bytes.
``output_end`` is how far the captured stdout/stderr reached when the item ended, so the
parent can give each item its own output. Then the child kills what the DAG files started
and leaves with ``os._exit``: no interpreter teardown, no atexit handlers, no finalizers
that could touch database connections inherited from the parent.

The child leads its own process group and is a subreaper: a process forked at import (a
daemon, a ``multiprocessing`` pool, ``subprocess.Popen``) stays in the group, or, if it
called ``setsid()`` and its parent exited, is adopted by the child. Either way it is killed
when the import ends: the parent kills the group when it reaps the child, and the child
kills its adopted children before it leaves. (One gap: a process that called ``setsid()``
inside a child that then died abruptly, ``os._exit`` in the DAG file, goes to init.)
"""

from __future__ import annotations

import contextlib
import faulthandler
import os
import signal
import struct
import sys
import traceback
from collections.abc import Callable

from scheduler.processes import become_subreaper, die_with_parent, kill_children

Work = Callable[[str], bytes]

FRAME = struct.Struct("!IQQ")  # item index, end of its output, answer length
DUMP_SIGNAL = signal.SIGUSR1
"""Sent by the parent at the time limit: faulthandler writes the stack to the output."""
CRASH_EXIT_CODE = 70
"""The child's own code failed (not the item's work): the traceback is in the output."""


def child_main(work: Work, items: list[str], result_fd: int, capture_fd: int, devnull: int) -> None:
    """The child's whole life; it never returns into the parent's code."""
    code = 0
    try:
        _prepare(capture_fd, devnull, os.getppid())
        for index, item in enumerate(items):
            answer = work(item)
            _flush_streams()
            output_end = os.lseek(1, 0, os.SEEK_CUR)
            _write_all(result_fd, FRAME.pack(index, output_end, len(answer)) + answer)
    except BaseException:
        code = CRASH_EXIT_CODE
        with contextlib.suppress(BaseException):
            traceback.print_exc()
            sys.stderr.flush()
    finally:
        # Processes the DAG file started die with the import. Those still in this child's
        # process group are killed by the parent; these are the ones that left it (setsid)
        # and were adopted here when their own parent exited.
        with contextlib.suppress(BaseException):
            kill_children()
        os._exit(code)


def _prepare(capture_fd: int, devnull: int, parent: int) -> None:
    die_with_parent(signal.SIGKILL, parent)
    # A process group of its own: whatever the import forks joins it, and the parent kills
    # the whole group when the child is done (``isolation._wait_status``).
    with contextlib.suppress(OSError):
        os.setpgid(0, 0)
    become_subreaper()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the parent to handle
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.dup2(devnull, 0)
    os.dup2(capture_fd, 1)
    os.dup2(capture_fd, 2)
    # Fresh stream objects: the inherited ones may hold the parent's unflushed text or
    # write somewhere else than fds 1 and 2 (pytest, a log file).
    sys.stdout = open(1, "w", buffering=1, errors="backslashreplace", closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", buffering=1, errors="backslashreplace", closefd=False)  # noqa: SIM115
    faulthandler.enable(file=2, all_threads=True)
    faulthandler.register(DUMP_SIGNAL, file=2, all_threads=True)


def _flush_streams() -> None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # a DAG file may have closed or replaced it
            stream.flush()


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
