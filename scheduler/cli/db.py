"""``baton db``: create, upgrade or reset the schema; clean old history (retention)."""

from __future__ import annotations

import click

from scheduler.api import retention
from scheduler.cli.context import settings
from scheduler.cli.output import emit_object, output_option
from scheduler.settings import mask_url_password
from scheduler.store.db import make_engine
from scheduler.store.migrate import migrate as run_migrations
from scheduler.store.migrate import reset as reset_schema
from scheduler.store.retention import DEFAULT_BATCH_SIZE, CleanReport


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


@db.command()
@click.option(
    "--clean-before-timestamp",
    "before",
    required=True,
    help="Remove what ended before this ISO 8601 timestamp (naive: BATON_DEFAULT_TIMEZONE), "
    "e.g. '2026-01-01 00:00:00+01:00'.",
)
@click.option(
    "-t",
    "--tables",
    default="",
    help="Comma-separated tables to clean (default all): "
    "dag_run, task_instance, task_try, xcom, celery_try_claim, task_log_chunk, event_log.",
)
@click.option("--dry-run", is_flag=True, help="Count what would go; change nothing.")
@click.option(
    "--skip-archive", is_flag=True, help="Do not copy the rows to _baton_deleted__ tables first."
)
@click.option(
    "--batch-size",
    type=int,
    default=DEFAULT_BATCH_SIZE,
    show_default=True,
    help="About how many task instances one transaction removes.",
)
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
@output_option
def clean(
    before: str,
    tables: str,
    dry_run: bool,
    skip_archive: bool,
    batch_size: int,
    yes: bool,
    output: str,
) -> None:
    """Purge old runs, tries, XComs, events and log files (finished runs only)."""
    conf = settings()
    cutoff = retention.parse_clean_timestamp(conf, before)
    names = [n for n in tables.split(",") if n.strip()] or None
    policy = retention.clean_policy(cutoff, names, archive=not skip_archive, batch_size=batch_size)
    if not dry_run and not yes:
        click.echo(
            f"You have requested that we purge all data prior to {cutoff.isoformat()} for "
            f"tables {sorted(policy.tables)}.\nThis is irreversible"
            + (" (rows go to _baton_deleted__ archive tables first)." if policy.archive else ".")
            + " Consider a backup, or a run with --dry-run, first."
        )
        click.confirm("Proceed?", abort=True)
    report = retention.clean_database(conf, policy, dry_run=dry_run)
    _emit_report(report, output)


def _emit_report(report: CleanReport, output: str) -> None:
    archives = sorted(report.archives.values())
    summary = {
        "dry_run": report.dry_run,
        "before": report.before,
        "rows": report.rows,
        "log_files": report.log_files,
        "archives": archives,
        "batches": report.batches,
        "skipped_active_runs": report.skipped_runs,
        "seconds": round(report.seconds, 3),
        "longest_transaction_ms": round(report.longest_transaction * 1000, 1),
    }
    if output == "json":
        emit_object(summary, output)
        return
    verb = "would remove" if report.dry_run else "removed"
    for name, n in sorted(report.rows.items()):
        click.echo(f"{name}: {verb} {n} rows")
    click.echo(f"log files: {verb} {report.log_files}")
    for name in archives:
        click.echo(f"archived in {name}")
    if not report.dry_run:
        click.echo(
            f"{report.batches} batches in {report.seconds:.2f} s; the longest held the "
            f"write lock {report.longest_transaction * 1000:.0f} ms"
        )


@db.command("drop-archived")
@click.option("-t", "--tables", default="", help="Comma-separated source tables (default all).")
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
def drop_archived(tables: str, yes: bool) -> None:
    """Drop the _baton_deleted__ archive tables that db clean made."""
    conf = settings()
    names = [n for n in tables.split(",") if n.strip()] or None
    if not yes:
        found = retention.archived_tables(conf)
        click.confirm(f"Drop {len(found)} archive table(s)?", abort=True)
    for name in retention.drop_archived(conf, names):
        click.echo(f"dropped {name}")
