"""weight_rule through the real scheduler with one worker slot: the order in which waiting
tasks of two runs start follows Airflow's effective weights (downstream: the runs' first
tasks go first; upstream: the first run finishes before the second one starts)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from scheduler import api
from tests.e2e.harness import Baton

pytestmark = pytest.mark.e2e

DAGS = """
import os, time
from datetime import datetime, timezone
from scheduler import DAG, PythonOperator

START = datetime(2026, 1, 1, tzinfo=timezone.utc)
HOME = os.environ["BATON_HOME"]

def block(name):
    # Holds the only worker slot until the test has queued the runs it wants to compare.
    deadline = time.monotonic() + 60
    while not os.path.exists(os.path.join(HOME, name)) and time.monotonic() < deadline:
        time.sleep(0.05)

for rule in ("downstream", "upstream"):
    with DAG(f"blocker_{rule}", schedule=None, start_date=START):
        PythonOperator(task_id="block", python_callable=block, op_args=[f"go_{rule}"])
    with DAG(rule, schedule=None, start_date=START, default_args={"weight_rule": rule}):
        p = PythonOperator(task_id="p", python_callable=lambda: None)
        q = PythonOperator(task_id="q", python_callable=lambda: None)
        p >> q
"""


def start_order(baton: Baton, dag_id: str, runs: list[str]) -> list[str]:
    started = [
        (ti.start_date, f"run{n}.{ti.task_id}")
        for n, run_id in enumerate(runs, start=1)
        for ti in api.list_task_instances(baton.settings, dag_id, run_id)
    ]
    return [name for _, name in sorted(started)]


def race(baton: Baton, rule: str) -> list[str]:
    """Two runs of DAG ``rule`` queued behind a blocker; their tasks' start order."""
    blocker = baton.trigger(f"blocker_{rule}")
    baton.wait_until(
        "the blocker to hold the slot",
        lambda: baton.task_states(f"blocker_{rule}", blocker).get("block") == "running",
    )
    runs = [baton.trigger(rule), baton.trigger(rule)]
    baton.wait_until(
        "both runs to wait for the slot",
        lambda: all(baton.task_states(rule, r).get("p") == "scheduled" for r in runs),
    )
    (baton.home / f"go_{rule}").touch()
    for run_id in runs:
        assert baton.wait_for_run(rule, run_id) == "success"
    return start_order(baton, rule, runs)


def test_weight_rules_order_the_tasks_of_competing_runs(baton_one_slot: Baton) -> None:
    baton = baton_one_slot
    baton.write_dag("weights.py", DAGS)
    baton.start()
    for dag_id in ("blocker_downstream", "downstream", "blocker_upstream", "upstream"):
        baton.wait_for_dag(dag_id)
    # downstream: p weighs 2 (itself and q), q weighs 1, so both p go first
    assert race(baton, "downstream") == ["run1.p", "run2.p", "run1.q", "run2.q"]
    # upstream: q weighs 2 (itself and p), so the first run's q beats the second run's p
    assert race(baton, "upstream") == ["run1.p", "run1.q", "run2.p", "run2.q"]


@pytest.fixture
def baton_one_slot(tmp_path: Path) -> Iterator[Baton]:
    instance = Baton(tmp_path, parallelism="1")
    try:
        yield instance
    finally:
        instance.stop()
