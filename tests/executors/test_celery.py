"""What only the Celery executor has: a message the broker delivers twice runs once (the
try's claim), a worker killed mid-try is noticed by its missing heartbeat, and a try's log
reaches the database as it is written. Real worker processes on the machine's Redis."""

from __future__ import annotations

import os
import signal
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from scheduler.executor import TaskFinished, TaskRequest, TaskStarted
from scheduler.executors.celery import CeleryExecutor
from scheduler.executors.celery_messages import encode_request
from scheduler.store import shipped_logs, try_claims
from scheduler.store.db import make_engine, transaction

from .celery_support import BROKERS, CeleryWorker, executor_settings, migrated_sqlite, worker_env
from .support import Workspace, finished_by_task, run_until, run_until_started

DAG = """
    import time
    from pathlib import Path
    from scheduler import DAG, PythonOperator

    def write_ledger(ti):
        with open(Path(__file__).parent.parent / "ledger.txt", "a") as ledger:
            ledger.write(f"{ti.run_id} {ti.try_number}\\n")
        time.sleep(1.0)

    def chatty():
        for n in range(3):
            print(f"line {n}", flush=True)
            time.sleep(1.0)

    with DAG("demo"):
        PythonOperator(task_id="ledger", python_callable=write_ledger)
        PythonOperator(task_id="chatty", python_callable=chatty)
        PythonOperator(task_id="sleep", python_callable=lambda: time.sleep(60))
"""


class Cluster:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.space = Workspace(root, DAG)
        self.url = migrated_sqlite(root)
        self.broker = BROKERS["redis"]
        self.env = worker_env(root, self.space.dag_file.parent, self.url, self.broker)
        self.worker = self.new_worker()
        settings = executor_settings(root, self.space.dag_file.parent, self.url, self.broker)
        self.executor = CeleryExecutor(settings)

    def new_worker(self, queue: str | None = None) -> CeleryWorker:
        name = f"worker-{uuid.uuid4().hex[:4]}.log"
        worker = CeleryWorker(self.env, self.root / name, concurrency=2, queues=queue)
        worker.wait_ready()
        return worker

    def request(self, task_id: str) -> TaskRequest:
        run_id = f"manual__{uuid.uuid4().hex[:8]}"
        log_path = self.root / "logs" / run_id / f"{task_id}.log"
        return self.space.request(
            task_id, run_id=run_id, queue=self.worker.queue, log_path=str(log_path)
        )

    def ledger(self) -> list[str]:
        path = self.root / "ledger.txt"
        return path.read_text().splitlines() if path.exists() else []


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    cluster = Cluster(tmp_path)
    cluster.executor.start()
    try:
        yield cluster
    finally:
        cluster.executor.shutdown(wait=False)
        cluster.worker.stop()


def _wait_for(what: str, condition, timeout: float = 15.0) -> None:
    give_up = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < give_up, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_a_message_delivered_twice_runs_the_try_once(cluster: Cluster) -> None:
    request = cluster.request("ledger")
    body = encode_request(request, cluster.space.dag_file.parent, cluster.root / "logs")
    cluster.executor.submit(request)
    cluster.executor.publish(body, request.queue)  # the broker delivers it again, at once
    events = run_until(cluster.executor, 1)
    assert [type(e) for e in events] == [TaskStarted, TaskFinished]
    assert events[-1].state == "success"
    _wait_for("the second copy to be dropped", lambda: "dropping a message" in cluster.worker.log())
    cluster.executor.publish(body, request.queue)  # ...and again after the try finished
    _wait_for(
        "the late copy to be dropped",
        lambda: "the try is already finished" in cluster.worker.log(),
    )
    assert cluster.ledger() == [f"{request.run_id} 1"]
    assert f"dropping a message for {request.key.label}: the try is already running" in (
        cluster.worker.log()
    )
    assert cluster.executor.collect() == []  # no event for a dropped copy


def test_a_worker_killed_mid_try_is_noticed_by_its_missing_heartbeat(cluster: Cluster) -> None:
    cluster.executor.lost_after_s = 3.0
    cluster.executor.LOST_CHECK_S = 0.5
    request = cluster.request("sleep")
    cluster.executor.submit(request)
    run_until_started(cluster.executor)
    os.killpg(cluster.worker.process.pid, signal.SIGKILL)  # the worker's whole machine, say
    cluster.worker.process.wait()
    lost = finished_by_task(run_until(cluster.executor, 1, timeout=20))["sleep"]
    assert lost.state == "failed"
    assert lost.retryable is True
    assert lost.error.startswith("the Celery worker celery:")
    assert "running this try stopped heartbeating" in lost.error
    engine = make_engine(cluster.url)
    with transaction(engine) as session:
        assert try_claims.get_claim(session, request.key).state == try_claims.FINISHED
    engine.dispose()


def test_a_running_try_s_log_reaches_the_database_while_it_runs(cluster: Cluster) -> None:
    request = cluster.request("chatty")
    cluster.executor.submit(request)
    run_until_started(cluster.executor)
    engine = make_engine(cluster.url)

    def shipped() -> str:
        with transaction(engine) as session:
            found = shipped_logs.read_shipped(session, request.log_path)
        return found[0].decode() if found else ""

    _wait_for("a live line in the database", lambda: "line 0" in shipped())
    assert "line 2" not in shipped()  # still running: shipped as it goes, not at the end
    assert finished_by_task(run_until(cluster.executor, 1))["chatty"].state == "success"
    final = shipped()  # complete before TaskFinished was sent
    assert "line 2" in final and "Marking task as SUCCESS" in final
    assert final == Path(request.log_path).read_text()
    engine.dispose()
