"""Human in the loop: how long after an answer the waiting task, and the one after it, run.

Through the real processes (``baton scheduler``, ``baton triggerer``, ``baton webui`` on a
fresh SQLite BATON_HOME): REPEATS runs of ``approve >> after``, one after the other. For
each, once ``approve`` waits deferred, an Op answers with ``PATCH .../hitlDetails`` and:

- patch: the PATCH's round trip (checks, the answer, the event, the trigger fired);
- resume: from the answer (``hitl_detail.responded_at``) to ``approve`` running again
  (its ``running`` event in the event log): the poke, the dispatch, a worker picking it up;
- next: from the answer to ``after`` starting (its try's start_date).

No poll stands in between (the trigger's 5 s poll is only for answers given before the
task deferred), so resume should take milliseconds, not seconds. Prints p50/p95 and adds
them to $BENCH_OUT (bench-results.json) under "hitl".

    .venv/bin/python bench/hitl_bench.py        # BENCH_HITL_REPEATS=20
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scheduler import api
from scheduler.api import hitl
from scheduler.store.db import make_engine
from scheduler.store.models import EventRow
from tests.e2e.harness import Baton
from tests.e2e.http_calls import call
from tests.e2e.triggerer_support import Triggerer
from tests.e2e.webserver import running_webui

REPEATS = int(os.environ.get("BENCH_HITL_REPEATS", "20"))
DAG = """
from datetime import UTC, datetime
from scheduler import DAG, ApprovalOperator, task

with DAG("hitl_bench", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=UTC)):
    @task
    def after():
        return 1

    ApprovalOperator(task_id="approve", subject="go?") >> after()
"""


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="baton-hitl-bench-") as root:
        baton = Baton(Path(root))
        baton.write_dag("hitl_bench.py", DAG)
        user = api.create_user(baton.settings, "bench", "a-long-bench-password", "Op")
        token = api.create_token(baton.settings, user.id, "bench", source="bench")[1]
        triggerer = Triggerer(baton).start()
        baton.start()
        try:
            baton.wait_for_dag("hitl_bench")
            with running_webui(baton) as url:
                samples = [_one(baton, url, token) for _ in range(REPEATS + 2)][2:]  # warm-ups
        finally:
            baton.stop()
            triggerer.stop()
    report = {name: _percentiles([s[name] for s in samples]) for name in samples[0]}
    for name, values in report.items():
        print(f"hitl {name:>6}: p50 {values['p50_ms']:7.1f} ms   p95 {values['p95_ms']:7.1f} ms")
    print(f"({REPEATS} answers; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    _save(report)


def _one(baton: Baton, url: str, token: str) -> dict[str, float]:
    reply = call("POST", f"{url}/api/v1/dags/hitl_bench/dagRuns", "{}", token=token)
    run_id = reply.json["dag_run_id"]
    baton.wait_until(
        "approve deferred", lambda: baton.task_states("hitl_bench", run_id)["approve"] == "deferred"
    )
    path = f"{url}/api/v1/dags/hitl_bench/dagRuns/{run_id}/taskInstances/approve/-1/hitlDetails"
    started = time.perf_counter()
    answer = call("PATCH", path, json.dumps({"chosen_options": ["Approve"]}), token=token)
    patch = time.perf_counter() - started
    assert answer.status == 200, answer.body
    assert baton.wait_for_run("hitl_bench", run_id) == "success"
    key = hitl.HitlKey("hitl_bench", run_id, "approve")
    answered = datetime.fromisoformat(hitl.get_hitl_detail(baton.settings, key)["responded_at"])
    resumed = _last_running(baton, run_id)
    after = baton.tries("hitl_bench", run_id, "after")[0].start_date
    return {
        "patch": patch,
        "resume": (resumed - answered).total_seconds(),
        "next": (after - answered).total_seconds(),
    }


def _last_running(baton: Baton, run_id: str) -> datetime:
    engine = make_engine(baton.settings.database_url)
    try:
        with engine.connect() as connection:
            return connection.scalar(
                select(EventRow.ts)
                .where(EventRow.run_id == run_id, EventRow.task_id == "approve")
                .where(EventRow.new_state == "running")
                .order_by(EventRow.id.desc())
                .limit(1)
            )
    finally:
        engine.dispose()


def _percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"p50_ms": statistics.median(ordered) * 1000, "p95_ms": p95 * 1000}


def _save(report: dict[str, Any]) -> None:
    out = Path(os.environ.get("BENCH_OUT", "bench-results.json"))
    results = json.loads(out.read_text()) if out.exists() else {}
    results["hitl"] = report
    out.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
