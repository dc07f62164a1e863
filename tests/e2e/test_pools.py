"""Pools through the real scheduler: a pool's slots bound the tries of every DAG naming it,
``pool_slots`` takes several, pool changes apply without a restart, and a pool that does not
exist is an import error until it is created."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.harness import Baton

pytestmark = pytest.mark.e2e

# Each task records (dag, task, pool_slots, start, end) in a ledger when it ends; O_APPEND
# writes of one short line do not interleave between processes.
LEDGER_DAG = """
import json, time
from datetime import datetime, timezone
from scheduler import DAG, PythonOperator

def work(name, slots):
    start = time.time()
    time.sleep({seconds})
    end = time.time()
    with open({ledger!r}, "a") as ledger:
        ledger.write(json.dumps([name, slots, start, end]) + "\\n")

with DAG("{dag_id}", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc)) as dag:
    for task_id, slots in {tasks!r}:
        PythonOperator(
            task_id=task_id,
            python_callable=work,
            op_args=["{dag_id}." + task_id, slots],
            pool="{pool}",
            pool_slots=slots,
        )
"""


def write_ledger_dag(
    baton: Baton, dag_id: str, tasks: list[tuple[str, int]], ledger: Path, pool: str = "shared"
) -> None:
    source = LEDGER_DAG.format(
        dag_id=dag_id, tasks=tasks, ledger=str(ledger), pool=pool, seconds=1.0
    )
    baton.write_dag(f"{dag_id}.py", source)


def read_ledger(ledger: Path) -> list[tuple[str, int, float, float]]:
    return [tuple(json.loads(line)) for line in ledger.read_text().splitlines()]


def max_slots_in_use(entries: list[tuple[str, int, float, float]]) -> int:
    """The most pool slots taken at any instant (an end before a start at the same time)."""
    moments = sorted(
        [(start, 1, slots) for _, slots, start, _ in entries]
        + [(end, 0, -slots) for _, slots, _, end in entries]
    )
    in_use = peak = 0
    for _, _, delta in moments:
        in_use += delta
        peak = max(peak, in_use)
    return peak


def test_two_dags_sharing_a_pool_of_two_never_run_more_than_two_slots(
    tmp_path: Path,
) -> None:
    baton = Baton(tmp_path, parallelism="6")  # the pool, not the workers, is the limit
    try:
        baton.cli("pools", "set", "shared", "2", "two at a time across DAGs")
        ledger = tmp_path / "ledger.jsonl"
        write_ledger_dag(baton, "left", [(f"l{i}", 1) for i in range(4)], ledger)
        write_ledger_dag(baton, "right", [("r0", 1), ("r1", 1), ("wide", 2)], ledger)
        baton.start()
        baton.wait_for_dag("left")
        baton.wait_for_dag("right")
        runs = [("left", baton.trigger("left")), ("right", baton.trigger("right"))]
        for dag_id, run_id in runs:
            assert baton.wait_for_run(dag_id, run_id, timeout=90) == "success"

        entries = read_ledger(ledger)
        assert len(entries) == 7
        assert max_slots_in_use(entries) == 2  # never more, and the two slots were used
        wide = next(e for e in entries if e[0] == "right.wide")
        overlapping = [e[0] for e in entries if e is not wide and e[2] < wide[3] and wide[2] < e[3]]
        assert overlapping == []  # pool_slots=2 took the whole pool
        (default,) = [p for p in baton.cli_json("pools", "list") if p["name"] == "default_pool"]
        (shared,) = baton.cli_json("pools", "get", "shared")
        assert (shared["occupied_slots"], shared["open_slots"]) == (0, 2)
        assert default["slots"] == 128
    finally:
        baton.stop()


def test_a_bigger_pool_applies_without_a_restart(tmp_path: Path) -> None:
    baton = Baton(tmp_path, parallelism="4")
    try:
        baton.cli("pools", "set", "shared", "1", "one at a time")
        ledger = tmp_path / "ledger.jsonl"
        write_ledger_dag(baton, "first", [(f"t{i}", 1) for i in range(3)], ledger)
        baton.start()
        baton.wait_for_dag("first")
        run_id = baton.trigger("first")
        assert baton.wait_for_run("first", run_id, timeout=90) == "success"
        assert max_slots_in_use(read_ledger(ledger)) == 1

        ledger.unlink()
        baton.cli("pools", "set", "shared", "3", "three at a time")
        run_id = baton.trigger("first")
        assert baton.wait_for_run("first", run_id, timeout=90) == "success"
        assert max_slots_in_use(read_ledger(ledger)) == 3
    finally:
        baton.stop()


def import_errors(baton: Baton) -> dict[str, str]:
    listed = json.loads(baton.cli("dags", "errors", "-o", "json", check=False).stdout)
    return {e["file"].rsplit("/", 1)[-1]: e["error"] for e in listed}


def test_an_unknown_pool_is_an_import_error_until_the_pool_exists(
    baton: Baton, tmp_path: Path
) -> None:
    ledger = tmp_path / "ledger.jsonl"
    write_ledger_dag(baton, "needs_pool", [("call", 1)], ledger, pool="partner_api")
    baton.write_dag(
        "queued.py",
        """
from datetime import datetime, timezone
from scheduler import DAG, EmptyOperator
with DAG("queued", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc)) as dag:
    EmptyOperator(task_id="gpu_job", queue="gpu")
""",
    )
    baton.start()
    baton.wait_until("the pool's import error", lambda: "needs_pool.py" in import_errors(baton))
    baton.wait_for_dag("queued")  # a queue is the executor's business: refused at dispatch
    errors = import_errors(baton)
    assert errors["needs_pool.py"] == (
        "DAG 'needs_pool': task 'call': pool 'partner_api' does not exist; create it with "
        "`baton pools set partner_api SLOTS DESCRIPTION` (the DAG is loaded once the pool "
        "exists), or change pool="
    )
    assert "queued.py" not in errors
    assert "needs_pool" not in baton.dag_ids()
    queued_run = baton.trigger("queued")
    assert baton.wait_for_run("queued", queued_run) == "failed"
    log = baton.cli("tasks", "logs", "queued", queued_run, "gpu_job").stdout
    assert "task 'gpu_job' has queue='gpu', which only the Celery executor honours" in log

    baton.cli("pools", "set", "partner_api", "1", "created after the DAG file")
    baton.wait_for_dag("needs_pool")
    assert "needs_pool.py" not in import_errors(baton)
    run_id = baton.trigger("needs_pool")
    assert baton.wait_for_run("needs_pool", run_id) == "success"
    assert [e[0] for e in read_ledger(ledger)] == ["needs_pool.call"]
