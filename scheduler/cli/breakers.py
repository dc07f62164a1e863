"""``baton breakers``: the circuit breaker and adaptive throttle of each connection, and
closing a breaker by hand."""

from __future__ import annotations

import click

from scheduler.breakers import breaker_rows, reset_breaker
from scheduler.cli.context import settings
from scheduler.cli.output import emit, output_option
from scheduler.throttle import beside_breakers, throttle_rows

COLUMNS = ["conn_id", "state", "failures", "opened_at", "half_open_at", "last_error"]
COLUMNS += ["throttle", "throttle_rate", "throttle_max_rate", "throttle_last_signal"]


@click.group()
def breakers() -> None:
    """Inspect and reset the circuit breakers of connections (and see their throttles)."""


@breakers.command("list")
@output_option
def list_(output: str) -> None:
    """Each connection's breaker (state, consecutive failures, since when open, half-open at)
    and beside it its adaptive throttle (full, throttled or paused; its rate in calls/s)."""
    chosen = settings()
    emit(beside_breakers(breaker_rows(chosen), throttle_rows(chosen)), output, COLUMNS)


@breakers.command("reset")
@click.argument("conn_id")
def reset(conn_id: str) -> None:
    """Close CONN_ID's breaker now, e.g. once its service is known to be back."""
    reset_breaker(settings(), conn_id)
    click.echo(f"circuit breaker of connection '{conn_id}' reset to closed")
