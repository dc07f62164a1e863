"""``baton scheduler``: run the scheduler daemon in the foreground."""

from __future__ import annotations

import logging

import click

from scheduler.cli.context import settings
from scheduler.engine import SchedulerService


@click.command()
def scheduler() -> None:
    """Start the scheduler: parse DAG files, create runs, execute tasks (Ctrl-C stops it)."""
    conf = settings()
    logging.basicConfig(
        level=conf.log_level.upper(),
        format="[%(asctime)s] %(levelname)s %(name)s - %(message)s",
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)
    SchedulerService(conf).run()
