"""Expected races are told apart from faults, with real errors from real databases."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError, OperationalError

from scheduler.errors import ConcurrentChangeError, IllegalTransitionError
from scheduler.store.races import describe_race, is_expected_race

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def test_a_state_changed_by_another_writer_is_a_race_an_illegal_arrow_is_not() -> None:
    assert is_expected_race(ConcurrentChangeError("run d/r is no longer 'queued'"))
    assert not is_expected_race(IllegalTransitionError("success -> queued is not allowed"))
    assert not is_expected_race(ZeroDivisionError("division by zero"))


def test_a_unique_violation_on_postgresql_is_a_race_and_described_in_one_line() -> None:
    engine = create_engine(POSTGRES)
    table = f"race_{uuid.uuid4().hex[:8]}"
    try:
        with engine.begin() as conn:
            conn.execute(text(f"CREATE TABLE {table} (id int PRIMARY KEY)"))
            conn.execute(text(f"INSERT INTO {table} VALUES (1)"))
        with pytest.raises(IntegrityError) as info, engine.begin() as conn:
            conn.execute(text(f"INSERT INTO {table} VALUES (1)"))
        assert is_expected_race(info.value)
        line = describe_race(info.value)
        assert "duplicate key" in line and "\n" not in line and "INSERT" not in line
    finally:
        with engine.begin() as conn:
            conn.execute(text(f"DROP TABLE IF EXISTS {table}"))
        engine.dispose()


def test_a_missing_table_is_a_fault(tmp_path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with pytest.raises(OperationalError) as info, engine.begin() as conn:
        conn.execute(text("SELECT * FROM nowhere"))
    assert not is_expected_race(info.value)
    engine.dispose()
