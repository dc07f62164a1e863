"""Synchronous runs: wait for a run to finish and answer with what its leaf task returned.

A request/response workflow (``POST .../dagRuns?wait=true``) holds the caller until the
run is done. Waiting reads the run's row (one indexed read): every 2 ms at first, growing
to every 5 ms, and after ``FAST_WAIT_S`` to every 50 ms — a short run's answer comes within
a few milliseconds of its end, a long one costs the database ~20 reads a second.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from scheduler.api.databases import read_database
from scheduler.settings import Settings
from scheduler.states import FINISHED_RUN_STATES
from scheduler.store import dags as dag_store
from scheduler.store import runs as run_store
from scheduler.store import xcom as xcom_store
from scheduler.store.db import transaction
from scheduler.store.models import DagRunRow

FIRST_POLL_S = 0.002
FAST_POLL_S = 0.005
FAST_WAIT_S = 5.0
MAX_POLL_S = 0.05
MAX_WAIT_S = 300.0


@dataclass(frozen=True)
class RunOutcome:
    """A run as it stands when the wait ended, and its leaf tasks' return values."""

    run: DagRunRow
    finished: bool
    leaf_task_ids: list[str]
    return_value: Any  # the one leaf's value; a dict by task_id when there are several


def wait_for_run(settings: Settings, dag_id: str, run_id: str, timeout: float) -> RunOutcome:
    """Wait up to ``timeout`` seconds for the run to finish (it goes on if it does not)."""
    started = time.monotonic()
    deadline = started + timeout
    pause = FIRST_POLL_S
    engine = read_database(settings)
    while True:
        with transaction(engine) as session:
            run = run_store.get_run(session, dag_id, run_id)
            if run.state in FINISHED_RUN_STATES:
                leaves = leaf_task_ids(session, dag_id)
                return RunOutcome(run, True, leaves, leaf_return_value(session, run, leaves))
        left = deadline - time.monotonic()
        if left <= 0:
            return RunOutcome(run, False, [], None)
        time.sleep(min(pause, left))
        ceiling = FAST_POLL_S if time.monotonic() - started < FAST_WAIT_S else MAX_POLL_S
        pause = min(pause * 1.5, ceiling)


def leaf_task_ids(session: Any, dag_id: str) -> list[str]:
    """The DAG's tasks nothing runs after, in declaration order."""
    spec = dag_store.get_spec(session, dag_id)
    downstream = spec.downstream
    return [task_id for task_id in spec.tasks if not downstream[task_id]]


def leaf_return_value(session: Any, run: DagRunRow, leaves: list[str]) -> Any:
    """What the leaf tasks returned (their ``return_value`` XCom, secrets masked as
    stored): one leaf's value, a list for a mapped leaf, a dict by task_id for several."""
    values = {task_id: _return_value(session, run, task_id) for task_id in leaves}
    return values[leaves[0]] if len(leaves) == 1 else values


def _return_value(session: Any, run: DagRunRow, task_id: str) -> Any:
    rows = [
        row
        for row in xcom_store.list_xcoms(session, run.dag_id, run.run_id, task_id)
        if row.key == "return_value"
    ]
    values = [json.loads(row.value) for row in rows]
    if any(row.map_index >= 0 for row in rows):
        return values  # a mapped task: its instances' values in map_index order
    return values[0] if values else None
