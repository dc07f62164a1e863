"""The ``baton`` command: thin click groups, one module per noun.

Each command's module is imported only when that command runs, so ``baton scheduler`` does
not pay for the web UI's or the providers' imports (startup time is part of every CLI call).
"""

from __future__ import annotations

import importlib
import sys

import click

from scheduler.errors import BatonError

#: command name -> "module:attribute" of its click command or group.
COMMANDS = {
    "scheduler": "scheduler.cli.scheduler_cmd:scheduler",
    "celery": "scheduler.cli.celery_cmd:celery",
    "standalone": "scheduler.cli.webui_cmd:standalone",
    "webui": "scheduler.cli.webui_cmd:webui",
    "triggerer": "scheduler.cli.triggerer_cmd:triggerer",
    "dags": "scheduler.cli.dags:dags",
    "backfill": "scheduler.cli.backfill:backfill",
    "runs": "scheduler.cli.runs:runs",
    "tasks": "scheduler.cli.tasks:tasks",
    "connections": "scheduler.cli.connections:connections",
    "variables": "scheduler.cli.variables:variables",
    "plugins": "scheduler.cli.plugins_cmd:plugins",
    "breakers": "scheduler.cli.breakers:breakers",
    "pools": "scheduler.cli.pools:pools",
    "assets": "scheduler.cli.assets:assets",
    "hitl": "scheduler.cli.hitl:hitl_group",
    "users": "scheduler.cli.users:users",
    "jobs": "scheduler.cli.jobs:jobs",
    "rotate-fernet-key": "scheduler.cli.connections:rotate_fernet_key",
    "db": "scheduler.cli.db:db",
    "config": "scheduler.cli.config_cmd:config",
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported when they are used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, _, attribute = target.partition(":")
        return getattr(importlib.import_module(module), attribute)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="baton")
def cli() -> None:
    """Baton: DAG files in, durable runs out."""


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
