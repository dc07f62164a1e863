"""The chaos suite: kill -9 the real scheduler and its workers, at random moments, over 50+
runs of a mixed DAG (chain, fan-out, retries, a saga), then check from the ledger the tasks
wrote and from the database that

- every run ended as it should (``success``, or ``compensated`` when its conf asked the
  saga to fail), and the ledger agrees (every step finished, compensations newest first);
- no try ran twice at once (the per-instance lock) and no try number ran twice;
- every failed try was lost to a kill or failed by design;
- the event log holds no illegal transition, and no gap between transitions.

``make chaos`` runs it alone (``make test`` runs it too). Bounded: the runs must finish
within ``CHAOS_DEADLINE_S``. ``BATON_CHAOS_SEED`` replays a seed (printed on failure),
``BATON_CHAOS_RUNS`` changes the number of runs, ``BATON_CHAOS_REPORT`` names a file for
the figures (JSON). A try lost to a kill is re-run at once without using up one of its
task's retries (checked per instance from its retry base, up to BATON_LOST_TRY_LIMIT).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from scheduler import api
from scheduler.store.db import transaction
from scheduler.store.models import DagRunRow, EventRow, TaskInstanceRow, TaskTryRow
from tests.chaos import checks
from tests.chaos.checks import Event, Instance, Try
from tests.chaos.monkey import ChaosMonkey
from tests.e2e.harness import FINISHED, Baton

pytestmark = [pytest.mark.e2e, pytest.mark.chaos, pytest.mark.timeout(600)]

DAG_FILE = Path(__file__).with_name("chaos_dag.py")
DAG_ID = "chaos_mixed"
STEPS = (
    "start", "extract", "transform", "load", *(f"part_{i}" for i in range(5)), "join",
    "flaky", "reserve", "charge", "ship", "done",
)  # fmt: skip
RUNS = int(os.environ.get("BATON_CHAOS_RUNS", "50"))
CHAOS_DEADLINE_S = 360.0  # for all the runs to finish; they take ~1-2 minutes here
KILL_EVERY_S = (0.4, 2.0)  # a kill after a random pause in this range
# Targets are dealt from shuffled decks of five: two scheduler kills, three worker kills.
DECK = ("scheduler", "scheduler", "worker", "worker", "worker")


def expected_outcome(index: int) -> str:
    return "compensated" if index % 3 == 2 else "success"


def test_kill_9_scheduler_and_workers_over_many_runs(tmp_path: Path) -> None:
    seed = int(os.environ.get("BATON_CHAOS_SEED") or random.randrange(1 << 30))
    rng = random.Random(seed)
    ledger = tmp_path / "ledger" / "ledger.jsonl"
    ledger.parent.mkdir()
    # The monkey kills far more often than any real outage: three scheduler kills can land
    # inside one try on a loaded machine. BATON_LOST_TRY_LIMIT guards against a task that
    # kills its own worker, which no chaos task does, so it is set out of the monkey's reach.
    baton = Baton(
        tmp_path / "baton", parallelism="4", chaos_ledger=str(ledger), lost_try_limit="20"
    )
    shutil.copy(DAG_FILE, baton.dags / "chaos_dag.py")
    monkey = ChaosMonkey(baton, ledger, rng)
    began = time.monotonic()
    try:
        monkey.start_scheduler()
        baton.wait_for_dag(DAG_ID, timeout=120)
        expected = _trigger_runs(baton)
        _unleash(monkey, baton, expected, rng, seed)
        elapsed = time.monotonic() - began
    finally:
        baton.stop()
    entries = _ledger(ledger)
    events, tries, states, instances = _read_store(baton)
    problems = [
        *monkey.kills.problems,
        *checks.run_outcomes(expected, states),
        *checks.ledger_outcomes(entries, expected, STEPS),
        *checks.overlaps(entries),
        *checks.tries_started_twice(entries),
        *checks.unexplained_failures(tries),
        *checks.retries_used_by_kills(tries, instances, baton.settings.lost_try_limit),
        *checks.illegal_transitions(events),
    ]
    report = _report(seed, monkey, expected, elapsed, tries, entries)
    _publish(report, tmp_path)
    assert not problems, f"seed {seed}: {len(problems)} problem(s):\n" + "\n".join(problems[:40])
    # The chaos was real: both kinds of kill happened, and kills cost tries.
    assert monkey.kills.scheduler >= 3 and monkey.kills.worker >= 3, report
    assert report["tries_lost_to_kills"] >= 5, report


def _trigger_runs(baton: Baton) -> dict[str, str]:
    expected = {}
    for index in range(RUNS):
        outcome = expected_outcome(index)
        run = api.trigger_dag(baton.settings, DAG_ID, conf={"outcome": outcome, "n": index})
        expected[run.run_id] = outcome
    return expected


def _unleash(
    monkey: ChaosMonkey, baton: Baton, expected: dict[str, str], rng: random.Random, seed: int
) -> None:
    deadline = time.monotonic() + CHAOS_DEADLINE_S
    deck: list[str] = []
    while not _all_finished(baton, expected):
        if time.monotonic() > deadline:
            raise AssertionError(
                f"seed {seed}: runs unfinished after {CHAOS_DEADLINE_S:.0f} s "
                f"({monkey.kills}):\n{baton.log_text()[-4000:]}"
            )
        if not monkey.scheduler_alive():
            raise AssertionError(
                f"seed {seed}: the scheduler exited by itself:\n{baton.log_text()[-4000:]}"
            )
        time.sleep(rng.uniform(*KILL_EVERY_S))
        if not deck:
            deck = rng.sample(DECK, len(DECK))
        if deck.pop() == "scheduler":
            monkey.kill_scheduler()
        else:
            monkey.kill_worker()


def _all_finished(baton: Baton, expected: dict[str, str]) -> bool:
    runs = api.list_runs(baton.settings, DAG_ID, limit=len(expected) + 10)
    return sum(1 for r in runs if r.state in FINISHED) >= len(expected)


def _ledger(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _read_store(
    baton: Baton,
) -> tuple[list[Event], list[Try], dict[str, str], list[Instance]]:
    with transaction(api.database(baton.settings)) as session:
        events = [
            Event(e.id, e.event, e.run_id, e.task_id, e.map_index, e.old_state, e.new_state)
            for e in session.scalars(select(EventRow).where(EventRow.dag_id == DAG_ID))
        ]
        tries = [
            Try(t.run_id, t.task_id, t.kind, t.try_number, t.state, t.error)
            for t in session.scalars(select(TaskTryRow).where(TaskTryRow.dag_id == DAG_ID))
        ]
        states = {
            r.run_id: r.state
            for r in session.scalars(select(DagRunRow).where(DagRunRow.dag_id == DAG_ID))
        }
        instances = [
            Instance(i.run_id, i.task_id, i.retry_base, i.compensation_retry_base, i.lost_count)
            for i in session.scalars(
                select(TaskInstanceRow).where(TaskInstanceRow.dag_id == DAG_ID)
            )
        ]
    return events, tries, states, instances


def _report(
    seed: int,
    monkey: ChaosMonkey,
    expected: dict[str, str],
    elapsed: float,
    tries: list[Try],
    entries: list[dict[str, Any]],
) -> dict[str, Any]:
    outcomes = list(expected.values())
    return {
        "seed": seed,
        "runs": len(expected),
        "runs_success": outcomes.count("success"),
        "runs_compensated": outcomes.count("compensated"),
        "seconds": round(elapsed, 1),
        "kills": monkey.kills.total,
        "scheduler_kills": monkey.kills.scheduler,
        "worker_kills": monkey.kills.worker,
        "busy_worker_kills": monkey.kills.busy_worker,
        "compensation_worker_kills": monkey.kills.compensation_worker,
        "ledger_starts": sum(1 for e in entries if e["event"] == "start"),
        **checks.figures(tries),
    }


def _publish(report: dict[str, Any], tmp_path: Path) -> None:
    text = json.dumps(report, indent=2)
    print(f"\nchaos figures: {text}")
    target = os.environ.get("BATON_CHAOS_REPORT")
    Path(target or tmp_path / "chaos-report.json").write_text(text + "\n")
