"""Health and visibility through real processes: two schedulers on PostgreSQL, a
``baton celery worker`` on Redis and ``baton webui``. ``/api/v1/health``, the cluster page
and ``/metrics`` show the live schedulers, the worker with the tries it runs and the Celery
queue's depth; ``baton jobs check`` answers as Airflow's does, and fails once every
scheduler is killed."""

from __future__ import annotations

import signal
import socket
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.databases import migrated_postgres
from tests.e2e.harness import BATON, Baton
from tests.e2e.http_calls import api_token, call
from tests.e2e.webserver import running_webui
from tests.executors.celery_support import CeleryWorker, worker_env

pytestmark = pytest.mark.e2e

BROKER = "redis://127.0.0.1:6379/12"
DAG = """
import time
from datetime import datetime, timezone
from scheduler import DAG, task

with DAG("slow_fan", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
         default_args={{"queue": "{queue}"}}):
    @task
    def nap(i: int):
        time.sleep(3)
        return i

    nap.expand(i=[0, 1, 2])
"""


@pytest.fixture
def database() -> Iterator[str]:
    with migrated_postgres() as url:
        yield url


class Scheduler:
    """A second ``baton scheduler`` on the harness's database (the first is the harness's)."""

    def __init__(self, baton: Baton) -> None:
        self.log = baton.root / "scheduler2.log"
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(
                [BATON, "scheduler"], env=baton.env, stdout=out, stderr=subprocess.STDOUT
            )

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)


def _metrics(url: str, token: str) -> dict[str, dict[tuple, float]]:
    reply = call("GET", f"{url}/metrics", token=token)
    assert reply.status == 200, reply.body[:300]
    samples: dict[str, dict[tuple, float]] = {}
    for family in text_string_to_metric_families(reply.body.decode()):
        for sample in family.samples:
            samples.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return samples


def _jobs_check(baton: Baton, *args: str) -> tuple[int, str]:
    result = baton.cli("jobs", "check", *args, check=False)
    return result.returncode, (result.stdout + result.stderr).strip()


def test_health_metrics_and_jobs_check_follow_the_real_cluster(
    tmp_path: Path, database: str
) -> None:
    queue = f"hq{uuid.uuid4().hex[:8]}"
    baton = Baton(
        tmp_path,
        database_url=database,
        executor="celery",
        celery_broker_url=BROKER,
        scheduler_health_threshold="3",
        scheduler_heartbeat_sec="0.5",
    )
    baton.write_dag("slow_fan.py", DAG.format(queue=queue))
    env = worker_env(tmp_path / "worker", baton.dags, database, BROKER)
    worker = CeleryWorker(env, tmp_path / "worker.log", concurrency=1, queues=queue)
    worker_name = worker.hostname.replace("%h", socket.gethostname())
    token = api_token(baton, "Viewer")
    second: Scheduler | None = None
    try:
        worker.wait_ready()
        baton.start()
        second = Scheduler(baton)
        pids = {baton.process.pid, second.process.pid}  # type: ignore[union-attr]
        baton.wait_for_dag("slow_fan")
        with running_webui(baton) as url:

            def health() -> Any:
                return call("GET", f"{url}/api/v1/health", token=token)

            def both_live() -> Any:
                reply = health()
                listed = {job["pid"] for job in reply.json["schedulers"]}
                return reply if reply.status == 200 and listed == pids else None

            report = baton.wait_until("both schedulers in /api/v1/health", both_live, 60).json
            assert report["metadatabase"] == {"status": "healthy"}
            assert report["scheduler"]["status"] == "healthy"
            assert {job["hostname"] for job in report["schedulers"]} == {socket.gethostname()}
            assert all(job["heartbeat_age_s"] < 3 for job in report["schedulers"])
            public = call("GET", f"{url}/health")
            assert public.status == 200 and set(public.json) == {"metadatabase", "scheduler"}

            assert _jobs_check(baton) == (0, "Found one alive job.")
            assert _jobs_check(baton, "--job-type", "SchedulerJob", "--local") == (
                0,
                "Found one alive job.",
            )
            assert _jobs_check(baton, "--limit", "2") == (
                1,
                "Found 2 alive jobs. Expected only one.",
            )
            assert _jobs_check(baton, "--limit", "2", "--allow-multiple") == (
                0,
                "Found 2 alive jobs.",
            )
            assert _jobs_check(baton, "--hostname", "no-such-host") == (1, "No alive jobs found.")

            run_id = baton.trigger("slow_fan")

            def worker_busy() -> Any:
                celery = health().json["celery"]
                mine = [w for w in celery["workers"] if w["hostname"] == worker_name]
                return celery if mine and mine[0]["running_tries"] == 1 else None

            celery = baton.wait_until("the worker running a try", worker_busy, 60)
            assert celery["status"] == "healthy" and celery["broker"] == BROKER
            (mine,) = [w for w in celery["workers"] if w["hostname"] == worker_name]
            assert mine["active_tries"][0].startswith(f"slow_fan/{run_id}/nap[")

            def queued_on_broker() -> Any:
                samples = _metrics(url, token)
                depth = samples["baton_celery_queue_depth"].get((("queue", queue),), 0)
                return samples if depth >= 1 else None

            samples = baton.wait_until("tries waiting in the queue", queued_on_broker, 30)
            assert samples["baton_celery_broker_up"][()] == 1
            assert samples["baton_worker_running_tries"][(("worker", worker_name),)] == 1
            assert samples["baton_celery_workers"][()] >= 1

            page = call("GET", f"{url}/cluster", token=token)
            assert page.status == 200
            html = page.body.decode()
            assert all(f">{pid}<" in html for pid in pids)
            assert worker_name in html and f'data-queue="{queue}"' in html

            assert baton.wait_for_run("slow_fan", run_id, timeout=90) == "success"

            baton.kill()
            second.kill()
            baton.process = None

            def all_dead() -> Any:
                reply = health()
                return reply if reply.status == 503 and reply.json["schedulers"] == [] else None

            dead = baton.wait_until("no live scheduler in /api/v1/health", all_dead, 30).json
            assert dead["scheduler"]["status"] == "unhealthy"
            assert dead["metadatabase"] == {"status": "healthy"}
            assert _jobs_check(baton) == (1, "No alive jobs found.")
            assert "No live scheduler" in call("GET", f"{url}/cluster", token=token).body.decode()
    finally:
        if second is not None:
            second.kill()
        baton.stop()
        worker.stop()
