"""``baton db``: create, upgrade or reset the schema."""

from __future__ import annotations

import click

from scheduler.cli.context import settings
from scheduler.settings import mask_url_password
from scheduler.store.db import make_engine
from scheduler.store.migrate import migrate as run_migrations
from scheduler.store.migrate import reset as reset_schema


@click.group()
def db() -> None:
    """Manage the database schema."""


@db.command()
def migrate() -> None:
    """Create the schema, or upgrade it to this Baton's version (keeps all data)."""
    conf = settings()
    revision = run_migrations(make_engine(conf.database_url))
    click.echo(f"Database {mask_url_password(conf.database_url)} is at revision {revision}")


@db.command()
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def reset(yes: bool) -> None:
    """Delete ALL data (DAG history, runs, logs index) and recreate the schema."""
    conf = settings()
    where = mask_url_password(conf.database_url)
    if not yes:
        click.confirm(f"Delete every table in {where}?", abort=True)
    revision = reset_schema(make_engine(conf.database_url))
    click.echo(f"Database {where} was reset (revision {revision})")
