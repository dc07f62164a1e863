"""``baton tasks test``: one try of one task, in this process, ignoring its dependencies and
recording nothing (Airflow's ``tasks test``).

The DAG file is imported here, the try runs through the real runner with an in-memory XCom
reader, and its log goes to a temporary file that is read back (masked) and removed.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from scheduler.api.databases import database
from scheduler.api.inputs import parse_conf, parse_logical_date
from scheduler.api.local_run import find_dag_spec
from scheduler.api.task_logs import read_log
from scheduler.clock import utcnow
from scheduler.errors import BatonError, TaskNotFoundError
from scheduler.executor import TaskRequest
from scheduler.runner import InMemoryXComReader, run_try
from scheduler.settings import Settings
from scheduler.spec import DagSpec


@dataclass(frozen=True)
class TaskTestResult:
    state: str  # the try's end state: "success", "failed", ...
    error: str | None  # why it did not succeed
    log: str  # what the try wrote, secrets masked

    @property
    def succeeded(self) -> bool:
        return self.state == "success"


def run_task_test(
    settings: Settings,
    dag_id: str,
    task_id: str,
    *,
    logical_date: str | None = None,
    conf: str | None = None,
    map_index: int | None = None,
) -> TaskTestResult:
    """Run ``task_id`` of ``dag_id`` once here (``map_index``: which instance of a mapped
    task; its values must be known). ``logical_date`` (ISO 8601, default now) and ``conf``
    (a JSON object) are the command line's text, checked as ``dags trigger`` checks them."""
    spec = find_dag_spec(settings, database(settings), dag_id)
    _check_task(spec, task_id, map_index)
    when = parse_logical_date(logical_date) or utcnow()
    with tempfile.TemporaryDirectory(prefix="baton-task-test-") as folder:
        log_path = str(Path(folder) / "task.log")
        request = task_test_request(spec, task_id, when, parse_conf(conf), map_index, log_path)
        finished = run_try(request, InMemoryXComReader())
        log = read_log(log_path, limit=None).text
    return TaskTestResult(finished.state, finished.error, log)


def task_test_request(
    spec: DagSpec,
    task_id: str,
    when: datetime,
    conf: dict[str, Any],
    map_index: int | None,
    log_path: str,
) -> TaskRequest:
    """The request of a test try: try 1 of a run of its own (``run_type="test"``), its data
    interval the instant ``when``."""
    return TaskRequest(
        dag_id=spec.dag_id,
        task_id=task_id,
        run_id=f"test__{when.isoformat()}",
        try_number=1,
        fileloc=spec.fileloc,
        log_path=log_path,
        logical_date=when,
        data_interval_start=when,
        data_interval_end=when,
        run_type="test",
        conf=conf,
        execution_timeout_s=spec.tasks[task_id].execution_timeout_s,
        map_index=-1 if map_index is None else map_index,
    )


def _check_task(spec: DagSpec, task_id: str, map_index: int | None) -> None:
    if task_id not in spec.tasks:
        raise TaskNotFoundError(
            f"DAG '{spec.dag_id}' has no task '{task_id}'; its tasks: {', '.join(spec.tasks)}"
        )
    mapped = spec.tasks[task_id].mapping is not None
    if mapped != (map_index is not None):
        raise BatonError(
            f"task '{task_id}' is mapped: name an instance with --map-index N"
            if mapped
            else f"task '{task_id}' is not mapped: leave out --map-index"
        )
