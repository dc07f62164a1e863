"""The executor contract, run against every back end of ``backend`` (conftest.py): local,
Celery on Redis with PostgreSQL, Celery on RabbitMQ with SQLite (real worker processes,
real brokers). Whatever runs the try, the Engine must see
the same outcomes: results and XCom, a crash or ``sys.exit`` failing only its own try with
the reason, the execution timeout, cancels, compensations and masked logs."""

from __future__ import annotations

import json

from scheduler.executor import TaskFinished

from .backends import SECRET, Backend
from .support import finished_by_task, run_until, run_until_started


def test_twenty_tries_succeed_with_their_xcom(backend: Backend) -> None:
    requests = [backend.request("ok", try_number=n) for n in range(1, 21)]
    for request in requests:
        backend.executor.submit(request)
    finished = [e for e in run_until(backend.executor, 20) if isinstance(e, TaskFinished)]
    assert sorted(e.key.try_number for e in finished) == list(range(1, 21))
    assert all(e.state == "success" for e in finished)
    assert all(json.loads(dict(e.xcoms)["return_value"])[0] == e.key.try_number for e in finished)
    assert backend.executor.free_slots > 0


def test_a_segfault_fails_only_its_own_try(backend: Backend) -> None:
    crash, after = backend.request("segfault"), backend.request("ok")
    backend.executor.submit(crash)
    backend.executor.submit(after)
    events = finished_by_task(run_until(backend.executor, 2))
    assert events["segfault"].state == "failed"
    assert events["segfault"].error.endswith("killed by signal SIGSEGV (11)")
    log = backend.space.log(crash)
    assert "Fatal Python error: Segmentation fault" in log  # faulthandler, into the log
    assert events["segfault"].error in log
    assert events["ok"].state == "success"


def test_sys_exit_and_os_exit_fail_only_their_try(backend: Backend) -> None:
    for task_id in ("sys_exit", "os_exit", "ok"):
        backend.executor.submit(backend.request(task_id))
    events = finished_by_task(run_until(backend.executor, 3))
    assert events["sys_exit"].error == "SystemExit: 3"
    assert events["os_exit"].error.endswith("died while running the task: exited with code 3")
    assert events["ok"].state == "success"


def test_the_execution_timeout_fails_the_try(backend: Backend) -> None:
    request = backend.request("sleep", execution_timeout_s=0.5)
    backend.executor.submit(request)
    lost = finished_by_task(run_until(backend.executor, 1))["sleep"]
    assert lost.error.startswith("BatonTaskTimeout: Task exceeded its execution_timeout")
    assert (lost.ended_at - lost.started_at).total_seconds() < 5


def test_cancel_stops_a_running_try(backend: Backend) -> None:
    request = backend.request("sleep")
    backend.executor.submit(request)
    run_until_started(backend.executor)
    backend.executor.cancel(request.key)
    lost = finished_by_task(run_until(backend.executor, 1, timeout=15))["sleep"]
    assert lost.state == "failed"
    assert lost.retryable is False
    assert lost.error.startswith("cancelled")
    assert lost.error in backend.space.log(request)


def test_cancel_drops_a_try_no_worker_started(backend: Backend) -> None:
    busy = [backend.request("sleep"), backend.request("sleep")]  # both worker slots
    for request in busy:
        backend.executor.submit(request)
    started = 0
    while started < 2:
        started += sum(1 for e in run_until_started(backend.executor) if not hasattr(e, "state"))
    waiting = backend.request("ok")
    backend.executor.submit(waiting)
    backend.executor.cancel(waiting.key)
    for request in busy:
        backend.executor.cancel(request.key)
    events = [e for e in run_until(backend.executor, 3, timeout=15) if isinstance(e, TaskFinished)]
    by_run = {e.key.run_id: e for e in events}
    assert by_run[waiting.run_id].error == "cancelled before it started"
    assert all(by_run[r.run_id].error.startswith("cancelled: ") for r in busy)


def test_a_compensation_try_runs_the_compensate_callable(backend: Backend) -> None:
    request = backend.request("charge", compensation=True)
    backend.executor.submit(request)
    done = finished_by_task(run_until(backend.executor, 1))["charge"]
    assert done.state == "success"
    assert done.key.compensation is True
    assert done.xcoms == ()  # a compensation keeps no XCom
    assert "refunding the charge" in backend.space.log(request)


def test_a_secret_the_task_prints_is_masked_in_its_log(backend: Backend) -> None:
    request = backend.request("secret")
    backend.executor.submit(request)
    assert finished_by_task(run_until(backend.executor, 1))["secret"].state == "success"
    log = backend.space.log(request)
    assert "the password is ***" in log
    assert SECRET not in log
