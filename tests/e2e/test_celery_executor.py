"""End to end with BATON_EXECUTOR=celery: the real scheduler, two real ``baton celery
worker`` processes (each on a queue of its own, each with its own BATON_HOME and its own
copy of the DAG files, as on other machines), on the machine's Redis and RabbitMQ.

What is checked is what an Airflow user would see: task ``queue=`` decides which worker
runs a task, XCom flows from one worker to the other, a segfault fails only its own task,
and the logs of tries run elsewhere are readable through ``baton tasks logs`` and the
REST API of a web UI whose BATON_HOME is neither worker's.
"""

from __future__ import annotations

import json
import shutil
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.harness import Baton
from tests.e2e.webserver import running_webui
from tests.executors.celery_support import BROKERS, CeleryWorker, worker_env

pytestmark = pytest.mark.e2e

DAG = """
import ctypes, os
from datetime import datetime, timezone
from scheduler import DAG, task

with DAG(
    "on_celery",
    schedule=None,
    start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
    default_args={{"queue": "{qa}"}},
):
    @task
    def extract():
        print("extracting on", os.environ["WORKER_NAME"])
        return {{"n": 21, "by": os.environ["WORKER_NAME"]}}

    @task(queue="{qb}")
    def double(data):
        print("doubling on", os.environ["WORKER_NAME"])
        return {{"n": data["n"] * 2, "by": os.environ["WORKER_NAME"], "from": data["by"]}}

    @task
    def crash():
        ctypes.string_at(0)

    @task(trigger_rule="all_done")
    def report():
        return "reported"

    [double(extract()), crash()] >> report()
"""


@pytest.fixture(params=sorted(BROKERS))
def cluster(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Baton, dict]]:
    broker = BROKERS[request.param]
    baton = Baton(tmp_path, executor="celery", celery_broker_url=broker)
    qa, qb = f"qa{uuid.uuid4().hex[:8]}", f"qb{uuid.uuid4().hex[:8]}"
    baton.write_dag("on_celery.py", DAG.format(qa=qa, qb=qb))
    workers = {}
    for name, queue in (("A", qa), ("B", qb)):
        home, dags = tmp_path / f"worker_{name}", tmp_path / f"worker_{name}_dags"
        shutil.copytree(baton.dags, dags)  # its own copy, at another path
        env = worker_env(home, dags, baton.env["BATON_DATABASE_URL"], broker, WORKER_NAME=name)
        workers[name] = CeleryWorker(env, tmp_path / f"worker_{name}.log", 2, queue)
    try:
        for worker in workers.values():
            worker.wait_ready()
        baton.start()
        yield baton, workers
    finally:
        baton.stop()
        for worker in workers.values():
            worker.stop()


def test_a_run_on_celery_workers_routes_queues_and_ships_logs(cluster) -> None:
    baton, _ = cluster
    baton.wait_for_dag("on_celery")
    run_id = baton.trigger("on_celery")
    assert baton.wait_for_run("on_celery", run_id, timeout=45) == "success"
    assert baton.task_states("on_celery", run_id) == {
        "extract": "success",
        "double": "success",
        "crash": "failed",
        "report": "success",
    }
    xcoms = baton.cli_json("tasks", "xcom", "on_celery", run_id, "double")
    # double ran on worker B (its queue), with what extract returned on worker A.
    assert [x["value"] for x in xcoms if x["key"] == "return_value"] == [
        {"n": 42, "by": "B", "from": "A"}
    ]
    crash = baton.tries("on_celery", run_id, "crash")[0]
    assert crash.error.endswith("died while running the task: killed by signal SIGSEGV (11)")
    assert crash.hostname  # where it ran

    # The scheduler's BATON_HOME has none of these logs: each is on its worker's disk...
    for task_id, worker in (("extract", "A"), ("double", "B")):
        path = Path(baton.tries("on_celery", run_id, task_id)[0].log_path)
        assert not path.exists()
        local = baton.root / f"worker_{worker}" / "logs" / path.relative_to(baton.home / "logs")
        assert local.exists()
    # ...and readable from here all the same.
    assert "extracting on A" in baton.task_log("on_celery", run_id, "extract")
    assert "doubling on B" in baton.task_log("on_celery", run_id, "double")
    crash_log = baton.task_log("on_celery", run_id, "crash")
    assert "Fatal Python error: Segmentation fault" in crash_log
    assert "killed by signal SIGSEGV (11)" in crash_log

    baton.env["BATON_ADMIN_PW"] = "a-long-password-1"
    baton.cli("users", "create", "--username", "ops", "--role", "Viewer",
              "--password-from-env", "BATON_ADMIN_PW")  # fmt: skip
    token = baton.cli_json("users", "tokens", "create", "--username", "ops", "--name", "t")
    with running_webui(baton) as url:
        request = urllib.request.Request(
            f"{url}/api/v1/dags/on_celery/dagRuns/{run_id}/taskInstances/double/logs",
            headers={"Authorization": f"Bearer {token['token']}"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            body = json.load(response)
    assert "doubling on B" in body["content"]
