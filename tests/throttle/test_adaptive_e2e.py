"""Adaptive throttling through the real scheduler: 4 worker processes hammer a service
that answers 429 above 10 calls a second, through one ``{"adaptive": true}`` connection.

Each of 4 mapped tasks calls the service with ``HttpHook`` as fast as the hook lets it for
18 s. The throttle, shared through the database, must find the service's capacity: no 429
in the last 6 s, at least 75% of the capacity served then, few 429s overall (without it
there would be hundreds a second), ``throttle`` events in the event log and the connection's
rate, near the capacity, shown by ``baton breakers list``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from bench.adaptive_throttle_bench import connection_extra
from scheduler.store.db import make_engine, transaction
from scheduler.store.models import event_table
from tests.e2e.harness import Baton

from .capacity_service import CapacityService, summarize, timeline

pytestmark = pytest.mark.e2e

CAPACITY = 10.0
SECONDS = 18.0
LAST_S = 6.0

DAG = f"""
import time
from scheduler import DAG, task
from plugins.http import HttpHook, HttpRetryPolicy

with DAG("e2e_adaptive", schedule=None):
    @task
    def hammer(worker):
        hook = HttpHook("GET", "fragile", retry_policy=HttpRetryPolicy(max_attempts=1))
        deadline = time.monotonic() + {SECONDS}
        statuses = []
        while time.monotonic() < deadline:
            statuses.append(hook.run("work", extra_options={{"check_response": False}}).status_code)
        return len(statuses)

    hammer.expand(worker=[0, 1, 2, 3])
"""


@pytest.fixture
def service() -> Iterator[CapacityService]:
    with CapacityService(CAPACITY) as svc:
        yield svc


@pytest.mark.serial  # measures a rate against the clock: alone, on a quiet machine
def test_adaptive_throttle_finds_the_capacity_of_a_service_that_answers_429(
    baton: Baton, service: CapacityService
) -> None:
    baton.env["BATON_PARALLELISM"] = "4"  # the 4 tasks at once, in 4 worker processes
    extra = json.dumps(connection_extra(CAPACITY))
    baton.cli("connections", "add", "fragile", "--conn-type", "http", "--conn-host",
              service.url, "--conn-extra", extra)  # fmt: skip
    baton.write_dag("adaptive_dag.py", DAG)
    baton.start()
    baton.wait_for_dag("e2e_adaptive")
    run_id = baton.trigger("e2e_adaptive")
    state = baton.wait_for_run("e2e_adaptive", run_id, timeout=120)
    assert state == "success", baton.task_states("e2e_adaptive", run_id)

    answered = list(service.answered)
    summary = summarize(answered, LAST_S)
    print("per second, ok [429]:", timeline(answered))
    print(summary.line(CAPACITY))
    assert summary.window_refused == 0
    assert summary.window_rate >= 0.75 * CAPACITY
    assert summary.window_rate <= CAPACITY + service.burst / LAST_S  # the service's own cap
    assert summary.refused <= 30  # unthrottled, 4 workers would get hundreds a second

    with transaction(make_engine(baton.settings.database_url, write=False)) as session:
        events = session.execute(
            select(event_table.c.old_state, event_table.c.new_state, event_table.c.detail)
            .where(event_table.c.event == "throttle")
        ).all()  # fmt: skip
    assert events and all("connection 'fragile'" in e.detail for e in events)
    assert any("HTTP 429" in e.detail and "Retry-After" in e.detail for e in events)
    (shown,) = [row for row in baton.cli_json("breakers", "list") if row["conn_id"] == "fragile"]
    assert shown["state"] == "closed"  # the service never went down: 429s are the throttle's
    assert shown["throttle"] in ("full", "throttled")
    assert 0.5 * CAPACITY <= shown["throttle_rate"] <= CAPACITY
