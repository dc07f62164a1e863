"""The inline executor runs each try inside submit(), in this process."""

from __future__ import annotations

import os
from multiprocessing.connection import wait
from pathlib import Path

import pytest

from scheduler.errors import ExecutorError
from scheduler.executor import TaskFinished, TaskStarted
from scheduler.executors import InlineExecutor

from .support import Workspace, finished_by_task

PIPELINE_DAG = """
    from scheduler import DAG, task

    with DAG("demo"):
        @task
        def extract():
            return [1, 2, 3]

        @task
        def double(values):
            return [2 * v for v in values]

        double(extract())
"""


def test_tries_run_in_order_and_share_xcoms_without_a_database(tmp_path: Path) -> None:
    space = Workspace(tmp_path, PIPELINE_DAG)
    executor = InlineExecutor()
    executor.start()
    executor.submit(space.request("extract"))
    executor.submit(space.request("double"))
    events = executor.collect()
    assert [type(e) for e in events] == [TaskStarted, TaskFinished] * 2
    assert {e.pid for e in events if isinstance(e, TaskStarted)} == {os.getpid()}
    assert finished_by_task(events)["double"].xcoms == (("return_value", "[2, 4, 6]"),)
    executor.shutdown()


def test_the_wait_handle_is_ready_exactly_while_events_are_pending(tmp_path: Path) -> None:
    space = Workspace(tmp_path, PIPELINE_DAG)
    executor = InlineExecutor()
    executor.start()
    assert wait(executor.wait_handles(), 0) == []
    executor.submit(space.request("extract"))
    assert wait(executor.wait_handles(), 0) != []
    assert len(executor.collect()) == 2
    assert wait(executor.wait_handles(), 0) == []
    assert executor.free_slots == 1
    executor.shutdown()


def test_submit_before_start_says_what_to_do(tmp_path: Path) -> None:
    space = Workspace(tmp_path, PIPELINE_DAG)
    with pytest.raises(ExecutorError, match=r"call start\(\) first"):
        InlineExecutor().submit(space.request("extract"))
