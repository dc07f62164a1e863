"""Two schedulers x 2 workers each on one PostgreSQL database, one rate limit for all.

DAGs ``alpha`` and ``beta`` (each scheduler owns one) have 12 mapped tasks each. The HTTP
variant's tasks call a local service through connection ``limited`` (``rate_limit=5/s``):
the 4 worker processes together stay within 5 a second at the service. The pool variant's
tasks take pool ``paced`` (``--rate-limit 4/s``): the 2 schedulers together dispatch at
most 4 of its tries a second, measured from when each task started. The Celery variant
runs the HTTP tasks on 2 ``baton celery worker`` processes (2 slots each) through Redis.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from tests.e2e.test_several_schedulers import Cluster
from tests.executors.celery_support import BROKERS, CeleryWorker, worker_env
from tests.providers.http.service import FakeService

from .conftest import max_in_window

pytestmark = pytest.mark.e2e

HTTP_DAG = """
from scheduler import DAG
from plugins.http import HttpOperator

with DAG("{dag_id}", schedule=None):
    HttpOperator.partial(task_id="call", http_conn_id="limited", endpoint="{dag_id}",
                         method="GET"{queue}).expand(data=[{{"i": i}} for i in range(12)])
"""

POOL_DAG = """
import time
from pathlib import Path
from scheduler import DAG, task

with DAG("{dag_id}", schedule=None):
    @task(pool="paced")
    def mark(i):
        (Path({out!r}) / "{dag_id}-{{}}".format(i)).write_text(repr(time.time()))

    mark.expand(i=list(range(12)))
"""


def _run_both(cluster: Cluster) -> None:
    try:
        cluster.start_both()
        assert len(cluster.owners()) == 2  # each scheduler drives one of the DAGs
        runs = cluster.trigger_all(per_dag=1)
        cluster.wait_all(runs, timeout=180)
    finally:
        cluster.stop()


def test_a_connection_limit_holds_across_two_schedulers(tmp_path: Path, postgres_url: str) -> None:
    with FakeService() as service:
        cluster = Cluster(
            tmp_path, postgres_url, parallelism="2", conn_limited=f"{service.url}?rate_limit=5%2Fs"
        )
        for dag_id in ("alpha", "beta"):
            cluster.baton.write_dag(f"{dag_id}.py", HTTP_DAG.format(dag_id=dag_id, queue=""))
        _run_both(cluster)
        times = [c.at for c in service.calls]
        paths = {c.path for c in service.calls}
    assert len(times) == 24 and paths == {"/alpha", "/beta"}
    span, busiest = max(times) - min(times), max_in_window(times)
    print(f"24 calls in {span:.2f} s: {23 / span:.2f}/s; busiest 1-s window: {busiest}")
    assert busiest <= 5 + 1
    assert span >= 23 / 5 - 0.3


@pytest.mark.serial  # measures a rate against the clock: alone, on a quiet machine
def test_a_pool_limit_holds_across_two_schedulers(tmp_path: Path, postgres_url: str) -> None:
    out = tmp_path / "starts"
    out.mkdir()
    cluster = Cluster(tmp_path, postgres_url, parallelism="2")
    cluster.baton.cli("pools", "set", "paced", "16", "shared", "--rate-limit", "4/s")
    for dag_id in ("alpha", "beta"):
        cluster.baton.write_dag(f"{dag_id}.py", POOL_DAG.format(dag_id=dag_id, out=str(out)))
    _run_both(cluster)
    starts = [float(p.read_text()) for p in out.iterdir()]
    assert len(starts) == 24
    span, busiest = max(starts) - min(starts), max_in_window(starts)
    print(f"24 tries started in {span:.2f} s: {23 / span:.2f}/s; busiest 1-s window: {busiest}")
    assert busiest <= 4 + 1
    assert span >= 23 / 4 - 0.5


def test_a_connection_limit_holds_across_two_schedulers_and_celery_workers(
    tmp_path: Path, postgres_url: str
) -> None:
    broker = BROKERS["redis"]
    queue = f"q{os.getpid()}{int(time.time() * 1000) % 100000}"
    with FakeService() as service:
        conn = f"{service.url}?rate_limit=5%2Fs"
        cluster = Cluster(
            tmp_path, postgres_url, executor="celery", celery_broker_url=broker, conn_limited=conn
        )
        for dag_id in ("alpha", "beta"):
            source = HTTP_DAG.format(dag_id=dag_id, queue=f", queue={queue!r}")
            cluster.baton.write_dag(f"{dag_id}.py", source)
        workers = []
        for name in ("A", "B"):
            home, dags = tmp_path / f"worker_{name}", tmp_path / f"worker_{name}_dags"
            shutil.copytree(cluster.baton.dags, dags)  # as on another machine
            env = worker_env(home, dags, postgres_url, broker, BATON_CONN_LIMITED=conn)
            workers.append(CeleryWorker(env, tmp_path / f"worker_{name}.log", 2, queue))
        try:
            for worker in workers:
                worker.wait_ready()
            _run_both(cluster)
        finally:
            for worker in workers:
                worker.stop()
        times = [c.at for c in service.calls]
    assert len(times) == 24
    span, busiest = max(times) - min(times), max_in_window(times)
    print(f"Celery: 24 calls in {span:.2f} s: {23 / span:.2f}/s; busiest 1-s window: {busiest}")
    assert busiest <= 5 + 1
    assert span >= 23 / 5 - 0.3
