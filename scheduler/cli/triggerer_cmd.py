"""``baton triggerer``: run the triggers of deferred tasks in the foreground."""

from __future__ import annotations

import logging

import click

from scheduler.cli.context import settings


@click.command()
def triggerer() -> None:
    """Start a triggerer: run deferred tasks' triggers and resume the tasks when they fire
    (Ctrl-C stops it; its triggers go to another triggerer or its next start)."""
    conf = settings()
    logging.basicConfig(
        level=conf.log_level.upper(),
        format="[%(asctime)s] %(levelname)s %(name)s - %(message)s",
    )
    from scheduler.triggerer import TriggererJob

    TriggererJob(conf).run()
