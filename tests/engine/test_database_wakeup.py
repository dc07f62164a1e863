"""Waking every scheduler through PostgreSQL's NOTIFY, on the machine's real server: what
lets a trigger from another machine (a web UI, a CLI) start a run at once on whichever
scheduler drives its DAG."""

from __future__ import annotations

from multiprocessing.connection import wait
from pathlib import Path

import psycopg

from scheduler.engine.wakeup import DatabaseWakeup, wake_schedulers
from scheduler.settings import Settings

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _settings(tmp_path: Path, url: str) -> Settings:
    return Settings.from_env({"BATON_HOME": str(tmp_path), "BATON_DATABASE_URL": url})


def test_a_wake_up_reaches_every_listening_scheduler(tmp_path: Path) -> None:
    first, second = DatabaseWakeup(POSTGRES), DatabaseWakeup(POSTGRES)
    try:
        handles = first.handles() + second.handles()
        assert len(handles) == 2
        wake_schedulers(_settings(tmp_path, POSTGRES))
        woken = {first: 0, second: 0}
        for _ in range(50):
            for listener in woken:
                woken[listener] += listener.drain()
            if all(woken.values()):
                break
            wait(handles, timeout=0.1)
        assert all(woken.values()), woken
        assert first.drain() == 0  # drained
    finally:
        first.close()
        second.close()


def test_a_listener_whose_connection_was_cut_reconnects(tmp_path: Path) -> None:
    listener = DatabaseWakeup(POSTGRES)
    try:
        (handle,) = listener.handles()
        pid = listener._conn.info.backend_pid
        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres") as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        # The server's FATAL message and its closing of the socket arrive apart: the
        # scheduler's loop waits again on the socket, as this does, until the close shows.
        woken = 0
        for _ in range(50):
            wait([handle], timeout=0.1)
            woken = listener.drain()
            if woken:
                break
        assert woken >= 1  # unknown what was missed: look at the database
        assert listener.handles()  # and listening again
    finally:
        listener.close()


def test_sqlite_has_no_listener(tmp_path: Path) -> None:
    listener = DatabaseWakeup(f"sqlite:///{tmp_path / 'baton.db'}")
    assert not listener.enabled and listener.handles() == []
    wake_schedulers(_settings(tmp_path, f"sqlite:///{tmp_path / 'baton.db'}"))  # no error
