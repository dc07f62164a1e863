"""A real ``baton celery worker`` for the executor tests, on the machine's Redis or RabbitMQ.

Each worker consumes a queue of its own (``q<random>``), so tests never see each other's
messages, and shares the test's BATON_HOME, DAG folder and SQLite database with the
executor under test. A missing broker is a failure, not a skip.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from scheduler.settings import Settings
from tests.databases import migrated_sqlite  # noqa: F401  (test_celery.py imports it here)

BATON = str(Path(sys.executable).with_name("baton"))
BROKERS = {
    "redis": "redis://127.0.0.1:6379/13",
    "rabbitmq": "amqp://guest:guest@127.0.0.1:5672//",
}


class CeleryWorker:
    """One ``baton celery worker`` subprocess; ``stop()`` sends SIGTERM, then SIGKILL."""

    def __init__(
        self,
        env: dict[str, str],
        log_file: Path,
        concurrency: int = 2,
        queues: str | None = None,
    ) -> None:
        self.queue = queues or f"q{uuid.uuid4().hex[:10]}"
        self.log_file = log_file
        self.hostname = f"w{uuid.uuid4().hex[:6]}@%h"
        out = open(log_file, "ab")  # noqa: SIM115 - closed right after Popen
        self.process = subprocess.Popen(
            [
                BATON, "celery", "worker", "--concurrency", str(concurrency),
                "--queues", self.queue, "--hostname", self.hostname,
            ],
            env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        out.close()

    def wait_ready(self, timeout: float = 30.0) -> None:
        give_up = time.monotonic() + timeout
        while "ready." not in self.log():
            if self.process.poll() is not None:
                raise AssertionError(f"the worker exited {self.process.returncode}:\n{self.log()}")
            assert time.monotonic() < give_up, f"the worker is not ready:\n{self.log()}"
            time.sleep(0.05)

    def log(self) -> str:
        return self.log_file.read_text(errors="replace") if self.log_file.exists() else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def worker_env(home: Path, dags: Path, database_url: str, broker: str, **extra: str) -> dict:
    return {
        **os.environ,
        "BATON_HOME": str(home),
        "BATON_DAGS_FOLDER": str(dags),
        "BATON_DATABASE_URL": database_url,
        "BATON_CELERY_BROKER_URL": broker,
        **extra,
    }


def executor_settings(home: Path, dags: Path, database_url: str, broker: str) -> Settings:
    return Settings.from_env(
        {
            "BATON_HOME": str(home),
            "BATON_DAGS_FOLDER": str(dags),
            "BATON_DATABASE_URL": database_url,
            "BATON_EXECUTOR": "celery",
            "BATON_CELERY_BROKER_URL": broker,
            "BATON_PARALLELISM": "8",
        }
    )
