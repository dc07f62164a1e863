"""The ``baton`` command: thin click groups, one module per noun."""

from __future__ import annotations

import sys

import click

from scheduler.cli import config_cmd, dags, db, runs, scheduler_cmd, tasks
from scheduler.errors import BatonError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="baton")
def cli() -> None:
    """Baton: DAG files in, durable runs out."""


for command in (
    scheduler_cmd.scheduler,
    dags.dags,
    runs.runs,
    tasks.tasks,
    db.db,
    config_cmd.config,
):
    cli.add_command(command)


def main() -> None:
    """Entry point: any ``BatonError`` becomes one line on stderr and exit status 1."""
    try:
        cli(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except BatonError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
