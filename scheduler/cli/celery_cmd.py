"""``baton celery worker``: a Celery worker that runs Baton's tries (Airflow's CLI shape)."""

from __future__ import annotations

import socket

import click

from scheduler.cli.context import settings
from scheduler.executors.celery_app import DEFAULT_QUEUE, make_celery_app
from scheduler.executors.celery_worker import register_task
from scheduler.plugins.import_path import put_plugins_on_path
from scheduler.store.db import make_engine
from scheduler.store.schema import check_schema


@click.group()
def celery() -> None:
    """Celery workers of BATON_EXECUTOR=celery."""


@celery.command()
@click.option(
    "--concurrency",
    "-c",
    type=click.IntRange(min=1),
    default=None,
    help="Tries this worker runs at once (default: the number of CPUs).",
)
@click.option(
    "--queues",
    "-q",
    default=DEFAULT_QUEUE,
    show_default=True,
    help="Comma-separated queues to consume (a task's queue= picks one).",
)
@click.option(
    "--hostname",
    "-H",
    default=None,
    help="The worker's name, as Celery's -n (default: celery@<this host>).",
)
@click.option("--loglevel", "-l", default="INFO", show_default=True, help="Celery's log level.")
def worker(concurrency: int | None, queues: str, hostname: str | None, loglevel: str) -> None:
    """Run tries from the broker until stopped (SIGTERM finishes running tries first).

    Needs BATON_CELERY_BROKER_URL, BATON_DATABASE_URL and the DAG files in
    BATON_DAGS_FOLDER; BATON_HOME is this worker's own (its logs are shipped to the
    database, where the web UI and `baton tasks logs` read them).
    """
    config = settings()
    check_schema(make_engine(config.database_url))
    put_plugins_on_path(config)  # DAG files may import their plugins' operators
    app = make_celery_app(config)
    register_task(app)
    names = [q.strip() for q in queues.split(",") if q.strip()]
    if not names:
        raise click.BadParameter(
            "name at least one queue, e.g. --queues default", param_hint="--queues"
        )
    argv = [
        "worker",
        "--queues",
        ",".join(names),
        "--loglevel",
        loglevel,
        "--without-gossip",
        "--without-mingle",
        "--hostname",
        hostname or f"celery@{socket.gethostname()}",
    ]
    if concurrency:
        argv += ["--concurrency", str(concurrency)]
    app.worker_main(argv)
