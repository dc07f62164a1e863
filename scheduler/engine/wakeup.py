"""Waking the scheduler: a datagram socket in BATON_HOME, and SQLite's one-scheduler lock.

``baton dags trigger`` writes the run to the database, then pokes the socket so the run
starts within milliseconds instead of at the next periodic check. The poke is best effort:
the scheduler also looks for new runs every few seconds.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
from pathlib import Path

from scheduler.errors import BatonError

SOCKET_NAME = "scheduler.sock"
LOCK_SUFFIX = ".scheduler-lock"


class WakeupSocket:
    """The scheduler's end: bound, non-blocking, waitable with ``connection.wait``."""

    def __init__(self, home: Path) -> None:
        self.path = home / SOCKET_NAME
        home.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._sock.bind(str(self.path))
        self._sock.setblocking(False)

    def fileno(self) -> int:
        return self._sock.fileno()

    def drain(self) -> int:
        """Read every pending poke; return how many there were."""
        count = 0
        while True:
            try:
                self._sock.recv(64)
            except BlockingIOError:
                return count
            count += 1

    def close(self) -> None:
        self._sock.close()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


def poke_scheduler(home: Path) -> bool:
    """Tell a scheduler using ``home`` to look at the database now; False if none listens."""
    path = home / SOCKET_NAME
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.sendto(b"!", str(path))
        return True
    except OSError:
        return False


class SchedulerLock:
    """An exclusive lock beside a SQLite database file: one scheduler per database.

    Taken on the database, not on BATON_HOME, so a second scheduler with another home but
    the same file is refused too. The kernel drops it when its process dies, however it
    dies, so a scheduler killed with kill -9 can be started again at once."""

    def __init__(self, database: Path) -> None:
        self.database = database
        self.path = lock_path(database)
        self._fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise BatonError(
                f"another scheduler (pid {holder}) is already running on the SQLite database "
                f"{self.database}; SQLite allows one scheduler: stop that one first, or move "
                "to PostgreSQL (BATON_DATABASE_URL=postgresql+psycopg://...) to run several "
                "(docs/scaling.md)"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def lock_path(database: Path) -> Path:
    """The lock file of the SQLite database at ``database``."""
    return database.with_name(database.name + LOCK_SUFFIX)
