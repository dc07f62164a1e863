"""Celery try claims (the compare-and-set against redelivery) and shipped logs, on SQLite
and on the real PostgreSQL (a schema of its own per test; a missing server is a failure)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlmodel import SQLModel

from scheduler.executor import TryKey
from scheduler.store import shipped_logs, try_claims
from scheduler.store.db import make_engine, transaction
from scheduler.store.migrate import migrate
from scheduler.store.models_celery import task_log_chunk_table, try_claim_table

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
KEY = TryKey("etl", "manual__1", "load", 1, False, 3)


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator:
    if request.param == "sqlite":
        db = make_engine(f"sqlite:///{tmp_path / 'baton.db'}")
        migrate(db)
        yield db
        db.dispose()
        return
    schema = f"baton_celery_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    db = create_engine(f"{POSTGRES}?options=-csearch_path%3D{schema}")
    SQLModel.metadata.create_all(db, tables=[try_claim_table, task_log_chunk_table])
    try:
        yield db
    finally:
        db.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def test_the_first_claim_wins_a_redelivery_sees_it(engine) -> None:
    with transaction(engine) as session:
        assert try_claims.claim(session, KEY, "celery:1@a", NOW) is None
    with transaction(engine) as session:
        assert try_claims.claim(session, KEY, "celery:2@b", NOW) == "running"
        try_claims.finish(session, KEY, NOW)
    with transaction(engine) as session:
        assert try_claims.claim(session, KEY, "celery:3@c", NOW) == "finished"
        assert try_claims.get_claim(session, KEY).worker == "celery:1@a"
    other_try = KEY._replace(try_number=2)
    with transaction(engine) as session:
        assert try_claims.claim(session, other_try, "celery:2@b", NOW) is None


def test_cancel_before_any_worker_claimed_makes_the_message_a_no_op(engine) -> None:
    with transaction(engine) as session:
        assert try_claims.request_cancel(session, KEY, NOW) is False
    with transaction(engine) as session:
        assert try_claims.claim(session, KEY, "celery:1@a", NOW) == "cancelled"


def test_cancel_of_a_running_try_reaches_its_worker_at_the_heartbeat(engine) -> None:
    with transaction(engine) as session:
        try_claims.claim(session, KEY, "celery:1@a", NOW)
    with transaction(engine) as session:
        assert try_claims.heartbeat(session, KEY, NOW) == "running"
        assert try_claims.request_cancel(session, KEY, NOW) is True
    with transaction(engine) as session:
        assert try_claims.heartbeat(session, KEY, NOW) == "cancel_requested"


def test_shipped_chunks_read_back_by_byte_offset(engine) -> None:
    path = "/scheduler/logs/etl/load/1.log"
    with transaction(engine) as session:
        assert shipped_logs.read_shipped(session, path) is None
        shipped_logs.append_chunk(session, path, 0, b"line one\n", NOW)
        shipped_logs.append_chunk(session, path, 9, "ligne deux é\n".encode(), NOW)
        shipped_logs.append_chunk(session, path, 23, b"", NOW)  # nothing new: no row
    with transaction(engine) as session:
        assert shipped_logs.shipped_size(session, path) == 23
        assert shipped_logs.read_shipped(session, path) == (
            "line one\nligne deux é\n".encode(),
            23,
        )
        assert shipped_logs.read_shipped(session, path, 5, 10) == (b"one\nligne ", 23)
        assert shipped_logs.read_shipped(session, path, 23) == (b"", 23)
        assert shipped_logs.read_shipped(session, "/other.log") is None
