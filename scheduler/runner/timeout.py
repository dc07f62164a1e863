"""``execution_timeout`` inside the worker: a SIGALRM that raises in the task's code.

This stops Python code at the next bytecode. Code stuck in C (a blocking call that ignores
signals) is not interrupted; the local executor kills such a worker as a backstop once the
timeout plus a grace period has passed.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from types import FrameType

from scheduler.errors import BatonTaskTimeout


def timeout_message(seconds: float) -> str:
    return (
        f"Task exceeded its execution_timeout of {timedelta(seconds=seconds)}; "
        "raise the timeout or make the task faster"
    )


def can_enforce_timeout() -> bool:
    """Signals reach only the main thread; elsewhere (an embedded runner) no timer is set."""
    return threading.current_thread() is threading.main_thread()


@contextmanager
def execution_timeout(seconds: float | None) -> Iterator[None]:
    """Raise ``BatonTaskTimeout`` in the block after ``seconds`` (None or <= 0: no limit)."""
    if not seconds or seconds <= 0 or not can_enforce_timeout():
        yield
        return

    def _expired(signum: int, frame: FrameType | None) -> None:
        raise BatonTaskTimeout(timeout_message(seconds))

    previous = signal.signal(signal.SIGALRM, _expired)
    outer_delay, outer_interval = signal.setitimer(signal.ITIMER_REAL, seconds)
    began = time.monotonic()
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer_delay > 0:  # someone else's timer (an embedding process): re-arm what is left
            left = max(outer_delay - (time.monotonic() - began), 0.001)
            signal.setitimer(signal.ITIMER_REAL, left, outer_interval)
