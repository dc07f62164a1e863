"""``baton backfill``: create (with a live progress bar), list, cancel (Airflow 3's
``airflow backfill`` commands). The scheduler runs the backfill, not this process."""

from __future__ import annotations

import click

from scheduler import api
from scheduler.api import backfills
from scheduler.cli.context import settings
from scheduler.cli.output import emit, emit_object, output_option
from scheduler.json_limits import JsonLimits
from scheduler.store.sqlmodel_boundary import stored_id

LIST_COLUMNS = [
    "id",
    "dag_id",
    "from_date",
    "to_date",
    "state",
    "reprocess_behavior",
    "max_active_runs",
    "done",
    "total",
    "failed",
    "created_at",
]
DRY_RUN_COLUMNS = ["logical_date", "existing_run_id", "existing_state", "action"]


@click.group()
def backfill() -> None:
    """Run a DAG over past dates of its schedule (run by the scheduler)."""


@backfill.command("create")
@click.option("--dag-id", required=True, help="The DAG to backfill.")
@click.option("--from-date", required=True, help="First logical date (ISO 8601, included).")
@click.option("--to-date", required=True, help="Last logical date (ISO 8601, included).")
@click.option(
    "--max-active-runs",
    type=int,
    default=10,
    show_default=True,
    help="Runs of this backfill active at once (apart from the DAG's own max_active_runs).",
)
@click.option(
    "--reprocess-behavior",
    type=click.Choice(["none", "failed", "completed"]),
    default="none",
    show_default=True,
    help="Dates that already have a run: none (leave them), failed (re-run failed runs), "
    "completed (re-run every finished run). Queued or running runs are never touched.",
)
@click.option("--run-backwards", is_flag=True, help="Run the latest dates first.")
@click.option("--dry-run", is_flag=True, help="Print the dates it would run, and change nothing.")
@click.option("--conf", "-c", help="JSON object: the conf of every run.")
@click.option("--detach", is_flag=True, help="Return at once instead of showing progress.")
@output_option
def create(
    dag_id: str,
    from_date: str,
    to_date: str,
    max_active_runs: int,
    reprocess_behavior: str,
    run_backwards: bool,
    dry_run: bool,
    conf: str | None,
    detach: bool,
    output: str,
) -> None:
    """Create a backfill of DAG_ID and follow it (Ctrl-C detaches; it keeps running)."""
    config = settings()
    first, last = api.parse_logical_date(from_date), api.parse_logical_date(to_date)
    assert first is not None and last is not None  # required options
    request = backfills.make_request(
        dag_id,
        first,
        last,
        max_active_runs=max_active_runs,
        reprocess_behavior=reprocess_behavior,
        run_backwards=run_backwards,
        conf=api.parse_conf(conf, JsonLimits.from_settings(config)),
    )
    if dry_run:
        planned = backfills.dry_run_backfill(config, request)
        emit([p.as_dict() for p in planned], output, DRY_RUN_COLUMNS)
        if output == "table":
            runs = sum(p.action in ("create", "clear") for p in planned)
            click.echo(f"{len(planned)} logical date(s); {runs} would run. Nothing was changed.")
        return
    view = backfills.create_backfill(config, request)
    backfill_id = stored_id(view.row)
    if output == "json":
        emit_object(view.as_dict(), output)
        return
    if detach:
        click.echo(
            f"Created backfill {backfill_id} of '{dag_id}': {view.progress.total} date(s). "
            f"Follow it with `baton backfill list --dag-id {dag_id}`."
        )
        return
    click.echo(f"Created backfill {backfill_id} of '{dag_id}': {view.progress.total} date(s).")
    # Imported here: rich's import costs ~60 ms that the other commands need not pay.
    from scheduler.cli.backfill_progress import watch

    try:
        final = watch(lambda: backfills.get_backfill(config, backfill_id))
    except KeyboardInterrupt:
        click.echo(
            f"\nDetached: backfill {backfill_id} keeps running in the scheduler. "
            f"`baton backfill list --dag-id {dag_id}` shows it; "
            f"`baton backfill cancel {backfill_id}` stops it."
        )
        return
    p = final.progress
    click.echo(
        f"Backfill {backfill_id} {final.state}: {p.success} succeeded, {p.failed} failed, "
        f"{p.skipped} left alone (a run existed), {p.cancelled} cancelled."
    )


@backfill.command("list")
@click.option("--dag-id", help="Only this DAG's backfills.")
@click.option("--active", is_flag=True, help="Only backfills that have not completed.")
@click.option("--limit", type=int, default=50, show_default=True)
@output_option
def list_(dag_id: str | None, active: bool, limit: int, output: str) -> None:
    """Backfills, newest first, with their progress."""
    found = backfills.list_backfills(
        settings(), dag_id, active=True if active else None, limit=limit
    )
    rows = []
    for view in found:
        row = view.as_dict()
        rows.append({**row, **row["progress"]})
    emit(rows, output, LIST_COLUMNS)


@backfill.command("cancel")
@click.argument("backfill_id", type=int)
def cancel(backfill_id: int) -> None:
    """Cancel backfill BACKFILL_ID: no more runs start; the running ones finish."""
    view = backfills.cancel_backfill(settings(), backfill_id)
    click.echo(
        f"Cancelled backfill {backfill_id}: {view.progress.cancelled} date(s) will not run; "
        f"{view.progress.running} running run(s) finish."
    )
