"""A pool's rate limit held by the real scheduler: tries dispatched at most at that rate.

12 mapped tasks of pool ``paced`` (8 slots, ``--rate-limit 4/s``) on 4 worker processes:
the slots and workers would start them almost at once; the rate limit spreads their starts
to 4 a second. Each task records when it started.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.harness import Baton

from .conftest import max_in_window

pytestmark = pytest.mark.e2e

DAG = """
import time
from pathlib import Path
from scheduler import DAG, task

OUT = Path({out!r})

with DAG("e2e_paced_pool", schedule=None):
    @task(pool="paced")
    def mark(i):
        (OUT / str(i)).write_text(repr(time.time()))

    mark.expand(i=list(range(12)))
"""


@pytest.fixture
def baton(tmp_path: Path) -> Iterator[Baton]:
    instance = Baton(tmp_path, parallelism="4")
    try:
        yield instance
    finally:
        instance.stop()


@pytest.mark.serial  # measures a rate against the clock: alone, on a quiet machine
def test_a_pools_tries_are_dispatched_at_its_rate(baton: Baton, tmp_path: Path) -> None:
    out = tmp_path / "starts"
    out.mkdir()
    baton.cli("pools", "set", "paced", "8", "a fragile service", "--rate-limit", "4/s")
    baton.write_dag("paced_dag.py", DAG.format(out=str(out)))
    baton.start()
    baton.wait_for_dag("e2e_paced_pool")
    run_id = baton.trigger("e2e_paced_pool")
    state = baton.wait_for_run("e2e_paced_pool", run_id, timeout=120)
    assert state == "success", baton.task_states("e2e_paced_pool", run_id)
    starts = [float(p.read_text()) for p in out.iterdir()]
    assert len(starts) == 12
    span = max(starts) - min(starts)
    busiest = max_in_window(starts)
    print(f"12 tries started in {span:.2f} s: {11 / span:.2f}/s; busiest 1-s window: {busiest}")
    # The rate + the burst of 1, + 1 for a worker that starts its try late on a busy
    # machine and lands beside the next one (the dispatches themselves are 0.25 s apart).
    assert busiest <= 4 + 1 + 1
    assert span >= 11 / 4 - 0.3
