"""A naive start_date through the real scheduler: in UTC by default, in
BATON_DEFAULT_TIMEZONE when set (Airflow's ``[core] default_timezone``)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from scheduler import api
from tests.e2e.harness import Baton

pytestmark = pytest.mark.e2e

NAIVE = """
from datetime import datetime
from scheduler import DAG, EmptyOperator
with DAG("naive", schedule="@daily", start_date=datetime(2026, 1, 1), catchup=True,
         end_date=datetime(2026, 1, 1)) as dag:
    EmptyOperator(task_id="only")
"""


def _first_run(tmp_path: Path, **settings: str) -> tuple[datetime, str]:
    baton = Baton(tmp_path, **settings)
    baton.write_dag("naive.py", NAIVE)
    baton.start()
    try:
        baton.wait_for_dag("naive")
        runs = baton.wait_until("a scheduled run", lambda: api.list_runs(baton.settings, "naive"))
        spec = api.get_dag(baton.settings, "naive").spec
        first = min(runs, key=lambda run: run.logical_date)
        assert baton.wait_for_run("naive", first.run_id) == "success"
        return first.logical_date.astimezone(UTC), spec["timezone"]
    finally:
        baton.stop()


def test_a_naive_start_date_is_midnight_utc_by_default(tmp_path: Path) -> None:
    assert _first_run(tmp_path) == (datetime(2026, 1, 1, tzinfo=UTC), "UTC")


def test_a_naive_start_date_is_midnight_in_the_default_timezone(tmp_path: Path) -> None:
    logical, zone = _first_run(tmp_path, default_timezone="Europe/Amsterdam")
    assert (logical, zone) == (datetime(2025, 12, 31, 23, tzinfo=UTC), "Europe/Amsterdam")
