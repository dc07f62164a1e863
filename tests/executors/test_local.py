"""The local executor with real worker processes: results, crashes, limits, cancel, shutdown."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from scheduler.errors import ExecutorError
from scheduler.executor import TaskFinished
from scheduler.executors import LocalExecutor

from .support import Workspace, finished_by_task, run_until, run_until_started, started_pids


@pytest.fixture
def space(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path)


@pytest.fixture
def executor() -> Iterator[LocalExecutor]:
    ex = LocalExecutor(parallelism=2)
    ex.start()
    yield ex
    ex.shutdown(wait=False)


def test_twenty_tasks_across_two_workers_all_succeed(
    executor: LocalExecutor, space: Workspace
) -> None:
    assert executor.free_slots == 2
    requests = [space.request("ok", try_number=n) for n in range(1, 21)]
    for request in requests:
        executor.submit(request)
    events = run_until(executor, 20)
    finished = [e for e in events if isinstance(e, TaskFinished)]
    assert sorted(e.key.try_number for e in finished) == list(range(1, 21))
    assert all(e.state == "success" for e in finished)
    assert all(json.loads(dict(e.xcoms)["return_value"])[0] == e.key.try_number for e in finished)
    assert len(set(started_pids(events))) <= 2
    assert all(isinstance(e.started_at, type(e.ended_at)) for e in finished)
    assert executor.free_slots == 2


def test_a_worker_killed_by_abort_fails_its_try_and_is_replaced(
    executor: LocalExecutor, space: Workspace
) -> None:
    crash = space.request("abort")
    executor.submit(crash)
    for n in range(1, 6):
        executor.submit(space.request("ok", try_number=n))
    events = run_until(executor, 6)
    by_try = {(e.key.task_id, e.key.try_number): e for e in events if isinstance(e, TaskFinished)}
    lost = by_try.pop(("abort", 1))
    assert lost.state == "failed"
    assert lost.error.startswith("worker process ")
    assert lost.error.endswith("died while running the task: killed by signal SIGABRT (6)")
    assert lost.error in space.log(crash)
    assert all(e.state == "success" for e in by_try.values())
    assert executor.free_slots == 2
    assert len(executor.wait_handles()) == 2 + 2 + 1  # pipes, sentinels, wake-up


def test_a_segfault_is_reported_with_its_signal(executor: LocalExecutor, space: Workspace) -> None:
    crash = space.request("segfault")
    executor.submit(crash)
    lost = finished_by_task(run_until(executor, 1))["segfault"]
    assert lost.error.endswith("killed by signal SIGSEGV (11)")
    log = space.log(crash)
    assert "Fatal Python error: Segmentation fault" in log  # faulthandler, into the log
    assert f'File "{space.dag_file}", line' in log


def test_sys_exit_fails_the_try_but_the_worker_survives(space: Workspace) -> None:
    executor = LocalExecutor(parallelism=1)
    executor.start()
    try:
        executor.submit(space.request("sys_exit"))
        executor.submit(space.request("ok"))
        events = run_until(executor, 2)
    finally:
        executor.shutdown()
    assert finished_by_task(events)["sys_exit"].error == "SystemExit: 3"
    assert finished_by_task(events)["ok"].state == "success"
    assert len(set(started_pids(events))) == 1


def test_os_exit_fails_the_try_with_the_exit_code(space: Workspace) -> None:
    executor = LocalExecutor(parallelism=1)
    executor.start()
    try:
        crash = space.request("os_exit")
        executor.submit(crash)
        executor.submit(space.request("ok"))
        events = run_until(executor, 2)
    finally:
        executor.shutdown()
    lost = finished_by_task(events)["os_exit"]
    assert lost.error.endswith("died while running the task: exited with code 3")
    assert lost.error in space.log(crash)
    assert finished_by_task(events)["ok"].state == "success"
    assert len(set(started_pids(events))) == 2  # the replacement ran the second try


def test_a_memory_leak_hits_the_worker_memory_limit(space: Workspace) -> None:
    limit_mb = int(psutil.Process().memory_info().vms / 2**20) + 256
    executor = LocalExecutor(parallelism=1, worker_memory_limit_mb=limit_mb)
    executor.start()
    try:
        executor.submit(space.request("leak"))
        executor.submit(space.request("ok"))
        events = run_until(executor, 2)
    finally:
        executor.shutdown()
    assert finished_by_task(events)["leak"].error == "MemoryError"
    assert finished_by_task(events)["ok"].state == "success"
    assert len(set(started_pids(events))) == 2  # retired after the MemoryError


def test_workers_over_the_rss_limit_are_recycled(space: Workspace) -> None:
    executor = LocalExecutor(parallelism=1, recycle_rss_mb=1)  # every worker is above 1 MB
    executor.start()
    try:
        for n in range(1, 4):
            executor.submit(space.request("ok", try_number=n))
        events = run_until(executor, 3)
    finally:
        executor.shutdown()
    assert all(e.state == "success" for e in events if isinstance(e, TaskFinished))
    assert len(set(started_pids(events))) == 3


def test_cancel_kills_a_running_try(executor: LocalExecutor, space: Workspace) -> None:
    request = space.request("sleep")
    executor.submit(request)
    run_until_started(executor)
    executor.cancel(request.key)
    lost = finished_by_task(run_until(executor, 1))["sleep"]
    assert lost.state == "failed"
    assert lost.retryable is False
    assert lost.error.startswith("cancelled")
    assert lost.error in space.log(request)


def test_cancel_drops_a_try_that_has_not_started(space: Workspace) -> None:
    executor = LocalExecutor(parallelism=1)
    executor.start()
    try:
        running, queued = space.request("sleep"), space.request("ok")
        executor.submit(running)
        executor.submit(queued)
        assert executor.free_slots == 0
        executor.cancel(queued.key)
        executor.cancel(running.key)
        events = finished_by_task(run_until(executor, 2))
    finally:
        executor.shutdown()
    assert events["ok"].error == "cancelled before it started"
    assert events["sleep"].error.startswith("cancelled")


def test_a_try_stuck_past_its_timeout_is_killed_by_the_backstop(
    executor: LocalExecutor, space: Workspace
) -> None:
    executor.TIMEOUT_GRACE_S = 0.5
    request = space.request("stuck", execution_timeout_s=0.5)
    executor.submit(request)
    assert executor.next_deadline() is not None
    lost = finished_by_task(run_until(executor, 1))["stuck"]
    assert lost.error.startswith(
        "BatonTaskTimeout: Task exceeded its execution_timeout of 0:00:00.5"
    )
    assert "was killed" in lost.error
    assert lost.error in space.log(request)
    assert executor.next_deadline() is None


def test_shutdown_with_wait_lets_running_tries_finish(space: Workspace) -> None:
    executor = LocalExecutor(parallelism=2)
    executor.start()
    executor.submit(space.request("nap"))
    pids = [p.pid for p in psutil.Process().children()]
    executor.shutdown(wait=True)
    finished = finished_by_task(executor.collect())
    assert finished["nap"].state == "success"
    assert not [pid for pid in pids if psutil.pid_exists(pid) and _is_our_child(pid)]
    with pytest.raises(ExecutorError, match="the local executor is closed"):
        executor.submit(space.request("ok"))


def test_shutdown_without_wait_kills_running_tries(space: Workspace) -> None:
    executor = LocalExecutor(parallelism=1)
    executor.start()
    request = space.request("sleep")
    executor.submit(request)
    executor.submit(space.request("ok"))
    executor.shutdown(wait=False)
    finished = finished_by_task(executor.collect())
    assert finished["sleep"].error == "the executor shut down before the task finished"
    assert finished["ok"].error == "the executor shut down before the task started"
    assert "the executor shut down before the task finished" in space.log(request)


def _is_our_child(pid: int) -> bool:
    try:
        return psutil.Process(pid).ppid() == os.getpid()
    except psutil.NoSuchProcess:
        return False


def test_a_task_queue_other_than_default_fails_its_try_naming_the_celery_executor(
    executor: LocalExecutor, space: Workspace
) -> None:
    request = space.request("ok", queue="gpu")
    executor.submit(request)
    lost = finished_by_task(run_until(executor, 1))["ok"]
    assert lost.state == "failed"
    assert lost.retryable is False
    assert lost.error.startswith(
        "task 'ok' has queue='gpu', which only the Celery executor honours (BATON_EXECUTOR=celery"
    )
    assert lost.error in space.log(request)
