"""The executor matrix's back ends: local, Celery on Redis with PostgreSQL, Celery on
RabbitMQ with SQLite, each opened with the contract DAG in a workspace of its own."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from scheduler.executor import Executor, TaskRequest
from scheduler.executors import LocalExecutor
from scheduler.executors.celery import CeleryExecutor
from tests.databases import migrated_postgres, migrated_sqlite, require_port

from .celery_support import BROKERS, CeleryWorker, executor_settings, worker_env
from .support import Workspace

#: The password of the ``vault`` connection; a test's log must show it masked.
SECRET = "s3cr3t-Pa55word"

#: Every kind of try the contract tests need, in one DAG file.
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

#: executor name -> (broker, database) for the Celery side of the matrix.
CELERY_BACKENDS = {"celery-redis": ("redis", "postgres"), "celery-rabbitmq": ("rabbitmq", "sqlite")}


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


def require_broker(broker_url: str) -> None:
    """A broker that is not listening fails here, naming it, rather than as a worker that
    never gets ready 30 s later."""
    parts = urlsplit(broker_url)
    rabbit = parts.scheme.startswith("amqp")
    service, port = ("RabbitMQ", 5672) if rabbit else ("Redis", 6379)
    shown = f"{parts.scheme}://{parts.hostname}:{parts.port or port}"  # no password
    require_port(service, shown, parts.hostname or "127.0.0.1", parts.port or port)


@contextmanager
def open_backend(name: str, root: Path) -> Iterator[Backend]:
    """``name``'s executor, started, with its worker when it has one; stopped afterwards."""
    space = Workspace(root, CONTRACT_DAG)
    os.environ["BATON_CONN_VAULT"] = f"http://user:{SECRET}@vault.example"
    if name == "local":
        executor: Executor = LocalExecutor(parallelism=2)
        executor.start()
        yield Backend("local", executor, space, "default")
        executor.shutdown(wait=False)
        return
    broker_name, database = CELERY_BACKENDS[name]
    broker = BROKERS[broker_name]
    require_broker(broker)
    with ExitStack() as stack:
        url = stack.enter_context(migrated_postgres()) if database == "postgres" else None
        url = url or migrated_sqlite(root)
        env = worker_env(root, space.dag_file.parent, url, broker)
        worker = CeleryWorker(env, root / "w.log")
        stack.callback(worker.stop)  # before the schema is dropped: the worker writes to it
        worker.wait_ready()
        executor = CeleryExecutor(executor_settings(root, space.dag_file.parent, url, broker))
        executor.start()
        yield Backend(name, executor, space, worker.queue)
        executor.shutdown(wait=False)
