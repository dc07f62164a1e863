"""Deferral and reschedule with ``BATON_EXECUTOR=celery`` (Redis): the deferral and the
resume travel through the broker as JSON, and the worker that resumes a task is a
``baton celery worker`` with its own copy of the DAG files."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import pytest

from tests.e2e.harness import Baton
from tests.e2e.triggerer_support import Triggerer
from tests.executors.celery_support import BROKERS, CeleryWorker, worker_env

pytestmark = pytest.mark.e2e

DAG = """
import os
from datetime import datetime, timedelta, timezone
from scheduler import DAG, BaseOperator, BaseSensorOperator, TimeDeltaTrigger

class Defers(BaseOperator):
    def execute(self, context):
        self.defer(trigger=TimeDeltaTrigger(timedelta(seconds=1)), method_name="done",
                   kwargs={{"at": "execute"}})

    def done(self, context, event, at):
        return {{"at": at, "worker": os.environ["WORKER_NAME"]}}

class ThirdPoke(BaseSensorOperator):
    def poke(self, context):
        with open({pokes!r}, "a") as out:
            out.write("poke\\n")
        return open({pokes!r}).read().count("poke") >= 3

with DAG("celery_waits", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
         default_args={{"queue": "{queue}"}}):
    Defers(task_id="defers")
    ThirdPoke(task_id="pokes", mode="reschedule", poke_interval=0.5, timeout=60)
"""


def test_deferred_and_rescheduled_tries_resume_on_a_celery_worker(tmp_path: Path) -> None:
    broker = BROKERS["redis"]
    queue = f"q{uuid.uuid4().hex[:8]}"
    baton = Baton(tmp_path, executor="celery", celery_broker_url=broker)
    baton.write_dag("waits.py", DAG.format(queue=queue, pokes=str(tmp_path / "pokes.txt")))
    home, dags = tmp_path / "worker", tmp_path / "worker_dags"
    shutil.copytree(baton.dags, dags)
    env = worker_env(home, dags, baton.env["BATON_DATABASE_URL"], broker, WORKER_NAME="W")
    worker = CeleryWorker(env, tmp_path / "worker.log", 2, queue)
    triggerer = Triggerer(baton)
    try:
        worker.wait_ready()
        baton.start()
        triggerer.start()
        baton.wait_for_dag("celery_waits")
        run_id = baton.trigger("celery_waits")
        assert baton.wait_for_run("celery_waits", run_id, timeout=90) == "success", worker.log()
        xcoms = baton.cli_json("tasks", "xcom", "celery_waits", run_id, "defers")
        assert [x["value"] for x in xcoms if x["key"] == "return_value"] == [
            {"at": "execute", "worker": "W"}
        ]
        for task_id in ("defers", "pokes"):
            tries = baton.tries("celery_waits", run_id, task_id)
            assert [t.try_number for t in tries] == [1]
        assert (tmp_path / "pokes.txt").read_text().count("poke") == 3
    finally:
        triggerer.stop()
        baton.stop()
        worker.stop()
