"""Waking the schedulers, and SQLite's one-scheduler lock.

``baton dags trigger`` writes the run to the database, then wakes the schedulers
(``wake_schedulers``) so the run starts within milliseconds instead of at the next
periodic check: a datagram to the socket in BATON_HOME for a scheduler on this machine,
and on PostgreSQL a ``NOTIFY`` that every scheduler, on any machine, LISTENs for
(``DatabaseWakeup``). Both are best effort: the schedulers also look every few seconds.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from scheduler.errors import BatonError
from scheduler.settings import Settings

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


# -- several schedulers: PostgreSQL's LISTEN/NOTIFY ------------------------------------------
WAKEUP_CHANNEL = "baton_scheduler_wakeup"


def wake_schedulers(settings: Settings) -> None:
    """Tell the schedulers to look at the database now: the local one through its socket,
    and on PostgreSQL every scheduler, on any machine, through ``NOTIFY``. Best effort:
    they also look every few seconds."""
    poke_scheduler(settings.home)
    conninfo = _libpq_url(settings.database_url)
    if conninfo is None:
        return
    import psycopg  # here: only PostgreSQL users pay for the import

    # One connection per process, kept: a web UI or a triggerer wakes them often.
    with _notify_lock:
        for attempt in range(2):
            conn = _notify_connections.get(conninfo)
            try:
                if conn is None or conn.closed:
                    conn = psycopg.connect(conninfo, autocommit=True, connect_timeout=2)
                    _notify_connections[conninfo] = conn
                conn.execute(f"NOTIFY {WAKEUP_CHANNEL}")
                return
            except psycopg.Error:
                _notify_connections.pop(conninfo, None)
                if attempt:  # the schedulers' periodic look finds the change
                    return


_notify_lock = threading.Lock()
_notify_connections: dict[str, Any] = {}
# A forked child must not share its parent's connection.
os.register_at_fork(after_in_child=_notify_connections.clear)


class DatabaseWakeup:
    """The scheduler's end of ``NOTIFY``: a connection that LISTENs, waitable with
    ``connection.wait``. Reconnects (at most once a second) after the database went away."""

    def __init__(self, database_url: str) -> None:
        self._conninfo = _libpq_url(database_url)
        self._conn: Any = None  # a psycopg.Connection while connected
        self._retry_at = 0.0

    @property
    def enabled(self) -> bool:
        return self._conninfo is not None

    def handles(self) -> list[int]:
        """The socket to wait on (none while disconnected)."""
        self._ensure()
        return [self._conn.fileno()] if self._conn is not None else []

    def drain(self) -> int:
        """Read the pending notifications; return how many there were."""
        if self._conn is None:
            return 0
        import psycopg

        count = 0
        try:
            self._conn.pgconn.consume_input()
            while self._conn.pgconn.notifies() is not None:
                count += 1
        except psycopg.Error:
            self.close()
            return 1  # we cannot know what was missed: look at the database
        if self._conn.pgconn.status != psycopg.pq.ConnStatus.OK or _at_eof(self._conn.fileno()):
            self.close()  # the server went away (libpq may not have noticed yet)
            return max(count, 1)  # as above: look at the database
        return count

    def _ensure(self) -> None:
        if self._conn is not None or self._conninfo is None:
            return
        if time.monotonic() < self._retry_at:
            return
        import psycopg

        try:
            self._conn = psycopg.connect(self._conninfo, autocommit=True, connect_timeout=2)
            self._conn.execute(f"LISTEN {WAKEUP_CHANNEL}")
        except psycopg.Error:
            self.close()
            self._retry_at = time.monotonic() + 1.0

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.close()
        self._conn = None


def _libpq_url(database_url: str) -> str | None:
    """The libpq form of a PostgreSQL SQLAlchemy URL; None for another back end."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        return None
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _at_eof(fd: int) -> bool:
    """Whether the peer closed the socket ``fd`` (a peek that reads nothing)."""
    with socket.socket(fileno=os.dup(fd)) as sock:
        try:
            return sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
        except (BlockingIOError, InterruptedError):
            return False
        except OSError:
            return True
