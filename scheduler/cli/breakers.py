"""``baton breakers``: the circuit breaker of each connection, and closing one by hand."""

from __future__ import annotations

import click

from scheduler.breakers import breaker_rows, reset_breaker
from scheduler.cli.context import settings
from scheduler.cli.output import emit, output_option

COLUMNS = ["conn_id", "state", "failures", "opened_at", "half_open_at", "last_error"]


@click.group()
def breakers() -> None:
    """Inspect and reset the circuit breakers of connections."""


@breakers.command("list")
@output_option
def list_(output: str) -> None:
    """Each connection's breaker: state, consecutive failures, since when open, half-open at."""
    emit(breaker_rows(settings()), output, COLUMNS)


@breakers.command("reset")
@click.argument("conn_id")
def reset(conn_id: str) -> None:
    """Close CONN_ID's breaker now, e.g. once its service is known to be back."""
    reset_breaker(settings(), conn_id)
    click.echo(f"circuit breaker of connection '{conn_id}' reset to closed")
