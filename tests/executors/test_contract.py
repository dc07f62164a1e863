"""The executor contract, run against every back end: local, Celery on Redis, Celery on
RabbitMQ (real worker processes, real brokers). Whatever runs the try, the Engine must see
the same outcomes: results and XCom, a crash or ``sys.exit`` failing only its own try with
the reason, the execution timeout, cancels, compensations and masked logs."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator

import pytest

from scheduler.executor import Executor, TaskFinished, TaskRequest
from scheduler.executors import LocalExecutor
from scheduler.executors.celery import CeleryExecutor

from .celery_support import BROKERS, CeleryWorker, executor_settings, migrated_sqlite, worker_env
from .support import Workspace, finished_by_task, run_until, run_until_started

SECRET = "s3cr3t-Pa55word"

CONTRACT_DAG = """
    import ctypes, os, sys, time
    from scheduler import DAG, BaseHook, PythonOperator

    def leak_secret():
        print("the password is", BaseHook.get_connection("vault").password)

    with DAG("demo"):
        PythonOperator(task_id="ok", python_callable=lambda ti: [ti.try_number, os.getpid()])
        PythonOperator(task_id="segfault", python_callable=lambda: ctypes.string_at(0))
        PythonOperator(task_id="sys_exit", python_callable=lambda: sys.exit(3))
        PythonOperator(task_id="os_exit", python_callable=lambda: os._exit(3))
        PythonOperator(task_id="sleep", python_callable=lambda: time.sleep(30))
        PythonOperator(task_id="secret", python_callable=leak_secret)
        PythonOperator(
            task_id="charge",
            python_callable=lambda: "charged",
            compensate=lambda: print("refunding the charge"),
        )
"""


class Backend:
    """One executor under test and how to make requests it can run."""

    def __init__(self, name: str, executor: Executor, space: Workspace, queue: str) -> None:
        self.name, self.executor, self.space, self.queue = name, executor, space, queue

    def request(self, task_id: str, **overrides: object) -> TaskRequest:
        run_id = f"manual__{uuid.uuid4().hex[:8]}"
        overrides.setdefault("run_id", run_id)
        try_number = overrides.get("try_number", 1)
        log_path = self.space.root / "logs" / run_id / task_id / f"{try_number}.log"
        overrides.setdefault("log_path", str(log_path))
        return self.space.request(task_id, queue=self.queue, **overrides)


@pytest.fixture(scope="module", params=["local", "celery-redis", "celery-rabbitmq"])
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    root = tmp_path_factory.mktemp(request.param)
    space = Workspace(root, CONTRACT_DAG)
    os.environ["BATON_CONN_VAULT"] = f"http://user:{SECRET}@vault.example"
    if request.param == "local":
        executor = LocalExecutor(parallelism=2)
        executor.start()
        yield Backend("local", executor, space, "default")
        executor.shutdown(wait=False)
        return
    broker = BROKERS[request.param.removeprefix("celery-")]
    url = migrated_sqlite(root)
    worker = CeleryWorker(worker_env(root, space.dag_file.parent, url, broker), root / "w.log")
    try:
        worker.wait_ready()
        executor = CeleryExecutor(executor_settings(root, space.dag_file.parent, url, broker))
        executor.start()
        yield Backend(request.param, executor, space, worker.queue)
        executor.shutdown(wait=False)
    finally:
        worker.stop()


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
