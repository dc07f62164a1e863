"""``baton config``: the effective settings, secrets masked."""

from __future__ import annotations

import click

from scheduler.cli.context import settings
from scheduler.cli.output import emit_object, output_option


@click.command()
@output_option
def config(output: str) -> None:
    """Print the effective configuration (environment > baton.toml > defaults)."""
    emit_object(settings().as_dict(mask_secrets=True), output)
