"""A handle that ``multiprocessing.connection.wait`` sees as ready while events are pending.

Executors that produce events in the parent process itself (the inline executor, a
cancelled try that never started) have no worker connection to become readable; they set
this instead, so the Engine's wait returns at once.
"""

from __future__ import annotations

import multiprocessing
from multiprocessing.connection import Connection


class Wakeup:
    """``set()`` makes ``handle`` readable until ``clear()``; both are idempotent."""

    def __init__(self) -> None:
        self._reader, self._writer = multiprocessing.Pipe(duplex=False)
        self._is_set = False

    @property
    def handle(self) -> Connection:
        return self._reader

    def set(self) -> None:
        if not self._is_set:
            self._writer.send_bytes(b"!")
            self._is_set = True

    def clear(self) -> None:
        if self._is_set:
            self._reader.recv_bytes()
            self._is_set = False

    def close(self) -> None:
        self._reader.close()
        self._writer.close()

    def connections(self) -> list[Connection]:
        """Both ends, for a forked child to close (it must not hold them open)."""
        return [self._reader, self._writer]
