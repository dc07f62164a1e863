"""Helpers for the runner tests: real DAG files in a temporary folder, real requests."""

from __future__ import annotations

import json
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from scheduler.executor import TaskFinished, TaskRequest
from scheduler.runner import InMemoryXComReader, run_try

LOGICAL_DATE = datetime(2026, 11, 28, 6, 30, tzinfo=UTC)


class DagFolder:
    """A DAG folder under ``tmp_path``; ``run`` runs one try and returns its outcome + log."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.folder = root / "dags"
        self.folder.mkdir()
        self.xcoms = InMemoryXComReader()

    def write(self, source: str, name: str = "demo.py") -> Path:
        path = self.folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source).lstrip())
        return path

    def request(self, task_id: str, **overrides: Any) -> TaskRequest:
        values: dict[str, Any] = {
            "dag_id": "demo",
            "task_id": task_id,
            "run_id": "manual__1",
            "try_number": 1,
            "fileloc": str(self.folder / "demo.py"),
            "logical_date": LOGICAL_DATE,
            "data_interval_start": LOGICAL_DATE - timedelta(days=1),
            "data_interval_end": LOGICAL_DATE,
        }
        values.update(overrides)
        values.setdefault(
            "log_path",
            str(self.root / "logs" / values["run_id"] / task_id / f"{values['try_number']}.log"),
        )
        return TaskRequest(**values)

    def run(self, task_id: str, **overrides: Any) -> tuple[TaskFinished, str]:
        request = self.request(task_id, **overrides)
        finished = run_try(request, self.xcoms)
        self.xcoms.record(finished)
        return finished, Path(request.log_path).read_text()


def xcom(finished: TaskFinished, key: str = "return_value") -> Any:
    """The value of one XCom a try sent back (they travel as JSON text)."""
    return json.loads(dict(finished.xcoms)[key])
