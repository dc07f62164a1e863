"""``baton pools``: set, get, list and delete pools (Airflow's ``airflow pools`` commands)."""

from __future__ import annotations

import click

from scheduler import api
from scheduler.cli.context import settings
from scheduler.cli.output import emit, output_option
from scheduler.store.pools import KEEP, PoolStats

COLUMNS = [
    "name",
    "slots",
    "running_slots",
    "queued_slots",
    "open_slots",
    "include_deferred",
    "rate_limit",
    "description",
]


@click.group()
def pools() -> None:
    """Manage pools: limits on how many tries of the tasks naming a pool run at once.

    A task takes pool_slots slots of its pool= while queued or running; default_pool
    (128 slots) always exists.
    """


# ignore_unknown_options: "-1" (unlimited) is a number of slots, not an option.
@pools.command("set", context_settings={"ignore_unknown_options": True})
@click.argument("name")
@click.argument("slots", type=int)
@click.argument("description")
@click.option(
    "--include-deferred",
    is_flag=True,
    help="Count deferred tasks against the pool's slots too.",
)
@click.option(
    "--rate-limit",
    default=None,
    help='Dispatch the pool\'s tries at most at this rate: "10/s", "100/m", "5/h" '
    '(all schedulers together); "none" removes it; unchanged if not given.',
)
@output_option
def set_(
    name: str,
    slots: int,
    description: str,
    include_deferred: bool,
    rate_limit: str | None,
    output: str,
) -> None:
    """Create pool NAME with SLOTS slots (-1: unlimited), or change an existing one."""
    rate: object = KEEP if rate_limit is None else rate_limit
    if isinstance(rate, str) and rate.strip().lower() == "none":
        rate = None
    stats = api.set_pool(
        settings(), name, slots, description, include_deferred=include_deferred, rate_limit=rate
    )
    _emit([stats], output)


@pools.command("get")
@click.argument("name")
@output_option
def get(name: str, output: str) -> None:
    """Show pool NAME and the slots its tasks take now."""
    _emit([api.get_pool(settings(), name)], output)


@pools.command("list")
@output_option
def list_(output: str) -> None:
    """Every pool with its slots: running, queued and open."""
    _emit(api.list_pools(settings()), output)


@pools.command("delete")
@click.argument("name")
def delete(name: str) -> None:
    """Delete pool NAME (not default_pool, nor a pool tasks of active DAGs use)."""
    api.delete_pool(settings(), name)
    click.echo(f"Deleted pool '{name}'")


def _emit(found: list[PoolStats], output: str) -> None:
    emit([stats.as_dict() for stats in found], output, COLUMNS)
