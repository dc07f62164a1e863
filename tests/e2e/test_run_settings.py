"""Run-level and cross-run settings through the real scheduler: dagrun_timeout,
depends_on_past, max_active_tis_per_dag / _per_dagrun (directly and from default_args)."""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from scheduler import api
from tests.e2e.harness import Baton

pytestmark = pytest.mark.e2e

TIMEOUT_DAG = """
import os, time
from datetime import datetime, timedelta, timezone
from scheduler import DAG, PythonOperator

HOME = os.environ["BATON_HOME"]

def slow():
    with open(os.path.join(HOME, "slow.pid"), "w") as handle:
        handle.write(str(os.getpid()))
    time.sleep(60)

with DAG("timeout", schedule=None, dagrun_timeout=timedelta(seconds=1.5),
         start_date=datetime(2026, 1, 1, tzinfo=timezone.utc)):
    quick = PythonOperator(task_id="quick", python_callable=lambda: "done")
    hang = PythonOperator(task_id="slow", python_callable=slow, retries=2)
    after = PythonOperator(task_id="after", python_callable=lambda: "never")
    hang >> after
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_run_past_its_dagrun_timeout_fails_and_its_running_try_is_stopped(
    baton: Baton,
) -> None:
    baton.write_dag("timeout.py", TIMEOUT_DAG)
    baton.start()
    baton.wait_for_dag("timeout")
    run_id = baton.trigger("timeout")
    assert baton.wait_for_run("timeout", run_id, timeout=30) == "failed"
    # Airflow: the run fails and its unfinished task instances are skipped.
    assert baton.task_states("timeout", run_id) == {
        "quick": "success",
        "slow": "skipped",
        "after": "skipped",
    }
    run = api.get_run(baton.settings, "timeout", run_id)
    # Woken by the run's own deadline, not by a later poll.
    assert timedelta(seconds=1.5) <= run.end_date - run.start_date < timedelta(seconds=3)
    pid = int((baton.home / "slow.pid").read_text())
    baton.wait_until("the slow try's worker to be stopped", lambda: not _alive(pid), 20)
    tries = baton.tries("timeout", run_id, "slow")
    assert [t.state for t in tries] == ["skipped"]  # stopped, not retried
    assert "dagrun_timeout" in (tries[0].error or "")


def catchup_dag(start: datetime) -> str:
    return f"""
import os, time
from datetime import datetime
from scheduler import DAG, PythonOperator

HOME = os.environ["BATON_HOME"]

def step(ds=None, ti=None):
    started = time.time()
    if not os.path.exists(os.path.join(HOME, "fixed")):
        raise RuntimeError("not fixed yet")
    with open(os.path.join(HOME, "ledger.jsonl"), "a") as handle:
        handle.write(json.dumps([ds, started, time.time()]) + "\\n")

import json
with DAG("past", schedule="@daily", catchup=True,
         start_date=datetime.fromisoformat("{start.isoformat()}")):
    PythonOperator(task_id="step", python_callable=step, depends_on_past=True)
    PythonOperator(task_id="free", python_callable=lambda: "independent")
"""


def test_depends_on_past_waits_for_the_previous_run_until_it_is_cleared_and_succeeds(
    baton: Baton,
) -> None:
    start = (datetime.now(UTC) - timedelta(days=2)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    baton.write_dag("past.py", catchup_dag(start))
    baton.start()
    baton.wait_for_dag("past")
    runs = baton.wait_until(
        "two catch-up runs", lambda: len(baton.cli_json("runs", "list", "past")) == 2 or None
    )
    del runs
    first, second = sorted(
        (r["logical_date"], r["run_id"]) for r in baton.cli_json("runs", "list", "past")
    )
    assert baton.wait_for_run("past", first[1]) == "failed"
    baton.wait_until(
        "the second run's free task",
        lambda: baton.task_states("past", second[1])["free"] == "success",
    )
    # The previous run's step failed: Airflow leaves this one waiting, the run running.
    assert baton.task_states("past", second[1])["step"] == "none"
    assert api.get_run(baton.settings, "past", second[1]).state == "running"
    (baton.home / "fixed").touch()
    baton.cli("tasks", "clear", "past", first[1], "step")
    assert baton.wait_for_run("past", first[1]) == "success"
    assert baton.wait_for_run("past", second[1]) == "success"
    ledger = [json.loads(line) for line in (baton.home / "ledger.jsonl").read_text().splitlines()]
    assert len(ledger) == 2
    (_, _, first_end), (_, second_start, _) = sorted(ledger)
    assert first_end <= second_start


LIMIT_DAGS = """
import json, os, time
from datetime import datetime, timezone
from scheduler import DAG, PythonOperator, task

HOME = os.environ["BATON_HOME"]
START = datetime(2026, 1, 1, tzinfo=timezone.utc)

def work(name, rendezvous=0):
    started = time.time()
    time.sleep(1)
    # The control: wait (at most 20 s) until `rendezvous` tries are in here at once.
    marker = os.path.join(HOME, f"{name}.{os.getpid()}.here")
    open(marker, "w").close()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and rendezvous > 1:
        if len([f for f in os.listdir(HOME) if f.startswith(name + ".")]) >= rendezvous:
            break
        time.sleep(0.05)
    with open(os.path.join(HOME, name + ".jsonl"), "a") as handle:
        handle.write(json.dumps([started, time.time()]) + "\\n")

with DAG("per_dag", schedule=None, start_date=START):
    PythonOperator(task_id="work", python_callable=work, op_args=["per_dag"],
                   max_active_tis_per_dag=1)

with DAG("per_dag_defaults", schedule=None, start_date=START,
         default_args={"max_active_tis_per_dag": 1}):
    PythonOperator(task_id="work", python_callable=work, op_args=["per_dag_defaults"])

with DAG("unlimited", schedule=None, start_date=START):
    PythonOperator(task_id="work", python_callable=work, op_args=["unlimited", 2])

with DAG("per_run", schedule=None, start_date=START):
    @task(max_active_tis_per_dagrun=1)
    def each(item):
        work("per_run")
    each.expand(item=[1, 2, 3])
"""


def intervals(baton: Baton, name: str) -> list[tuple[float, float]]:
    lines = (baton.home / f"{name}.jsonl").read_text().splitlines()
    return sorted(tuple(json.loads(line)) for line in lines)


def overlap(spans: list[tuple[float, float]]) -> bool:
    return any(later[0] < earlier[1] for earlier, later in itertools.pairwise(spans))


def test_max_active_tis_per_dag_and_per_dagrun_keep_instances_apart(
    baton_three_slots: Baton,
) -> None:
    baton = baton_three_slots
    baton.write_dag("limits.py", LIMIT_DAGS)
    baton.start()
    for dag_id in ("per_dag", "per_dag_defaults", "unlimited", "per_run"):
        baton.wait_for_dag(dag_id)
    for dag_id in ("per_dag", "per_dag_defaults", "unlimited"):
        runs = [baton.trigger(dag_id), baton.trigger(dag_id)]
        for run_id in runs:
            assert baton.wait_for_run(dag_id, run_id) == "success"
    run_id = baton.trigger("per_run")
    assert baton.wait_for_run("per_run", run_id) == "success"
    assert not overlap(intervals(baton, "per_dag"))
    assert not overlap(intervals(baton, "per_dag_defaults"))
    assert len(intervals(baton, "per_run")) == 3 and not overlap(intervals(baton, "per_run"))
    assert overlap(intervals(baton, "unlimited"))  # the control: free slots run both at once


@pytest.fixture
def baton_three_slots(tmp_path: Path) -> Iterator[Baton]:
    instance = Baton(tmp_path, parallelism="3")
    try:
        yield instance
    finally:
        instance.stop()
