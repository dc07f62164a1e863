"""``baton runs``: the history of DAG runs."""

from __future__ import annotations

import click

from scheduler import api
from scheduler.cli.context import settings
from scheduler.cli.output import emit, output_option
from scheduler.states import RunState


@click.group()
def runs() -> None:
    """Work with DAG runs."""


@runs.command("list")
@click.argument("dag_id", required=False)
@click.option("--state", type=click.Choice([s.value for s in RunState]), help="Only this state.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
@output_option
def list_(dag_id: str | None, state: str | None, limit: int, output: str) -> None:
    """List runs, newest first (of every DAG, or of DAG_ID)."""
    rows = [
        {
            "dag_id": r.dag_id,
            "run_id": r.run_id,
            "run_type": r.run_type,
            "state": r.state,
            "logical_date": r.logical_date,
            "data_interval_start": r.data_interval_start,
            "data_interval_end": r.data_interval_end,
            "start_date": r.start_date,
            "end_date": r.end_date,
            "conf": r.conf,
        }
        for r in api.list_runs(settings(), dag_id, state, limit)
    ]
    emit(rows, output, ["dag_id", "run_id", "state", "logical_date", "start_date", "end_date"])


@runs.command()
@click.argument("dag_id")
@click.argument("run_id")
def compensate(dag_id: str, run_id: str) -> None:
    """Retry the failed compensations of a compensation_failed run (sagas)."""
    retried = api.compensate_run(settings(), dag_id, run_id)
    click.echo(f"compensating {dag_id}/{run_id} again: {', '.join(retried) or 'nothing failed'}")
