"""Helpers for the executor tests: a real DAG file, requests for it, and the Engine's loop."""

from __future__ import annotations

import textwrap
import time
from datetime import UTC, datetime
from multiprocessing.connection import wait
from pathlib import Path
from typing import Any

from scheduler.executor import Executor, ExecutorEvent, TaskFinished, TaskRequest, TaskStarted

LOGICAL_DATE = datetime(2026, 11, 28, tzinfo=UTC)

#: One DAG with every kind of task the executor tests need.
WORKER_DAG = """
    import ctypes, os, signal, sys, time
    from scheduler import DAG, PythonOperator

    def leak():
        hoard = []
        while True:
            hoard.append(bytearray(64 * 1024 * 1024))

    def ignore_alarm_and_sleep():
        signal.signal(signal.SIGALRM, signal.SIG_IGN)  # defeats the in-worker timeout
        time.sleep(30)

    with DAG("demo"):
        PythonOperator(task_id="ok", python_callable=lambda ti: [ti.try_number, os.getpid()])
        PythonOperator(task_id="abort", python_callable=os.abort)
        PythonOperator(task_id="segfault", python_callable=lambda: ctypes.string_at(0))
        PythonOperator(task_id="sys_exit", python_callable=lambda: sys.exit(3))
        PythonOperator(task_id="os_exit", python_callable=lambda: os._exit(3))
        PythonOperator(task_id="leak", python_callable=leak)
        PythonOperator(task_id="sleep", python_callable=lambda: time.sleep(30))
        PythonOperator(task_id="nap", python_callable=lambda: time.sleep(0.3) or "rested")
        PythonOperator(task_id="stuck", python_callable=ignore_alarm_and_sleep)
"""


class Workspace:
    """A DAG folder and a logs folder under ``tmp_path``."""

    def __init__(self, root: Path, source: str = WORKER_DAG) -> None:
        self.root = root
        self.dag_file = root / "dags" / "demo.py"
        self.dag_file.parent.mkdir()
        self.dag_file.write_text(textwrap.dedent(source).lstrip())

    @classmethod
    def existing(cls, root: str | Path) -> Workspace:
        """The workspace another process created in ``root``."""
        space = cls.__new__(cls)
        space.root = Path(root)
        space.dag_file = space.root / "dags" / "demo.py"
        return space

    def request(self, task_id: str, try_number: int = 1, **overrides: Any) -> TaskRequest:
        values: dict[str, Any] = {
            "dag_id": "demo",
            "task_id": task_id,
            "run_id": "manual__1",
            "try_number": try_number,
            "fileloc": str(self.dag_file),
            "log_path": str(self.root / "logs" / task_id / f"{try_number}.log"),
            "logical_date": LOGICAL_DATE,
            "data_interval_start": LOGICAL_DATE,
            "data_interval_end": LOGICAL_DATE,
        }
        values.update(overrides)
        return TaskRequest(**values)

    def log(self, request: TaskRequest) -> str:
        return Path(request.log_path).read_text()


def run_until(
    executor: Executor, finished_count: int, timeout: float = 30.0
) -> list[ExecutorEvent]:
    """Wait and collect exactly as the Engine does until ``finished_count`` tries finished."""
    events: list[ExecutorEvent] = []
    give_up = time.monotonic() + timeout
    while sum(isinstance(e, TaskFinished) for e in events) < finished_count:
        now = time.monotonic()
        assert now < give_up, f"only these events arrived in {timeout} s: {events}"
        wake = give_up - now
        deadline = getattr(executor, "next_deadline", lambda: None)()
        if deadline is not None:
            wake = min(wake, max(0.0, deadline - now))
        wait(executor.wait_handles(), wake)
        events += executor.collect()
    return events


def run_until_started(executor: Executor, timeout: float = 30.0) -> list[ExecutorEvent]:
    """Wait and collect until a ``TaskStarted`` arrived."""
    events: list[ExecutorEvent] = []
    give_up = time.monotonic() + timeout
    while not any(isinstance(e, TaskStarted) for e in events):
        assert time.monotonic() < give_up, f"no try started in {timeout} s: {events}"
        wait(executor.wait_handles(), max(0.0, give_up - time.monotonic()))
        events += executor.collect()
    return events


def finished_by_task(events: list[ExecutorEvent]) -> dict[str, TaskFinished]:
    return {e.key.task_id: e for e in events if isinstance(e, TaskFinished)}


def started_pids(events: list[ExecutorEvent]) -> list[int]:
    return [e.pid for e in events if isinstance(e, TaskStarted)]
