"""Two schedulers on PostgreSQL racing for the same runs log the races they lose as one INFO
line each: no ERROR, no traceback (those are kept for real faults)."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from scheduler import api
from tests.e2e.harness import BATON, FINISHED, Baton

pytestmark = pytest.mark.e2e

SERVER = "postgresql://postgres@127.0.0.1:5432"

FAN = """
from datetime import datetime, timezone
from scheduler import DAG, EmptyOperator
with DAG("fan", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
         max_active_runs=50) as dag:
    EmptyOperator(task_id="first") >> [EmptyOperator(task_id=f"m{i}") for i in range(8)]
"""


@pytest.fixture
def database() -> Iterator[str]:
    name = f"baton_races_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_races_between_two_schedulers_are_info_lines(tmp_path: Path, database: str) -> None:
    baton = Baton(tmp_path, database_url=database)
    baton.write_dag("fan.py", FAN)
    baton.start()
    baton.wait_for_dag("fan")
    baton.stop()
    # Runs waiting before both start: each scheduler adopts all of them at once.
    runs = [baton.trigger("fan") for _ in range(25)]
    baton.start()
    second_log = tmp_path / "scheduler2.log"
    with open(second_log, "ab") as out:
        second = subprocess.Popen(
            [BATON, "scheduler"], env=baton.env, stdout=out, stderr=subprocess.STDOUT
        )
    try:

        def mostly_finished() -> bool:
            states = [api.get_run(baton.settings, "fan", r).state for r in runs]
            return sum(state in FINISHED for state in states) >= len(runs) // 2

        baton.wait_until("the runs to finish", mostly_finished, timeout=120)
    finally:
        second.terminate()
        second.wait(timeout=30)
        baton.stop()
    logs = baton.log_text() + second_log.read_text(errors="replace")
    assert " ERROR " not in logs and "Traceback" not in logs, logs[-3000:]
    races = [line for line in logs.splitlines() if "lost a race" in line]
    assert races, "the two schedulers never raced: the test proved nothing"
    assert all(" INFO " in line for line in races), races
