"""``baton dags``: list, inspect, trigger, pause and test DAGs."""

from __future__ import annotations

import json
import sys

import click

from scheduler import api
from scheduler.cli.context import settings
from scheduler.cli.output import emit, emit_object, emit_tasks, output_option
from scheduler.errors import BatonError
from scheduler.json_limits import JsonLimits
from scheduler.spec import DagSpec
from scheduler.timetables import describe


@click.group()
def dags() -> None:
    """Work with DAGs."""


@dags.command("list")
@click.option("--all", "include_inactive", is_flag=True, help="Include inactive DAGs.")
@output_option
def list_(include_inactive: bool, output: str) -> None:
    """List the DAGs the scheduler knows."""
    rows = [
        {
            "dag_id": d.dag_id,
            "paused": d.is_paused,
            "active": d.is_active,
            "schedule": describe(d.schedule),
            "next_run_after": d.next_run_after,
            "tags": d.tags,
            "fileloc": d.fileloc,
        }
        for d in api.list_dags(settings(), include_inactive)
    ]
    emit(rows, output, ["dag_id", "paused", "schedule", "next_run_after", "tags", "fileloc"])


@dags.command()
@click.argument("dag_id")
@output_option
def show(dag_id: str, output: str) -> None:
    """Show a DAG: its settings and its tasks with their upstream tasks."""
    row = api.get_dag(settings(), dag_id)
    spec = DagSpec.from_dict(row.spec)
    if output == "json":
        click.echo(json.dumps({**spec.to_dict(), "is_paused": row.is_paused}, indent=2))
        return
    emit_object(
        {
            "dag_id": spec.dag_id,
            "paused": row.is_paused,
            "schedule": describe(spec.schedule),
            "timezone": spec.timezone,
            "start_date": spec.start_date,
            "catchup": spec.catchup,
            "max_active_runs": spec.max_active_runs,
            "max_active_tasks": spec.max_active_tasks,
            "tags": list(spec.tags),
            "file": spec.fileloc,
            "description": spec.description,
        },
        output,
    )
    click.echo()
    emit_tasks(spec, output)


@dags.command()
@click.argument("dag_id")
@click.option("--conf", "-c", help="JSON object passed to the run (overrides params).")
@click.option("--run-id", "-r", help="Run id (default manual__<logical date>).")
@click.option("--logical-date", "-l", help="Logical date, ISO 8601 (default now).")
@output_option
def trigger(
    dag_id: str, conf: str | None, run_id: str | None, logical_date: str | None, output: str
) -> None:
    """Create a manual run of DAG_ID; the scheduler starts it at once."""
    conf_value = api.parse_conf(conf, JsonLimits.from_settings(settings()))
    run = api.trigger_dag(
        settings(),
        dag_id,
        conf=conf_value,
        run_id=run_id,
        logical_date=api.parse_logical_date(logical_date),
    )
    emit_object(
        {
            "dag_id": run.dag_id,
            "run_id": run.run_id,
            "state": run.state,
            "logical_date": run.logical_date,
            "conf": run.conf,
        },
        output,
    )


def _pause_targets(dag_ids: tuple[str, ...], tag: str | None) -> list[str]:
    targets = list(dag_ids)
    if tag:
        targets += api.dag_ids_with_tag(settings(), tag)
    if not targets:
        raise BatonError("name at least one DAG_ID, or --tag TAG to select DAGs by tag")
    return targets


@dags.command()
@click.argument("dag_ids", nargs=-1)
@click.option("--tag", help="Also pause every DAG with this tag.")
def pause(dag_ids: tuple[str, ...], tag: str | None) -> None:
    """Pause DAGs: no new runs start and no new tasks are dispatched."""
    for dag_id in api.set_paused(settings(), _pause_targets(dag_ids, tag), True):
        click.echo(f"Paused {dag_id}")


@dags.command()
@click.argument("dag_ids", nargs=-1)
@click.option("--tag", help="Also unpause every DAG with this tag.")
def unpause(dag_ids: tuple[str, ...], tag: str | None) -> None:
    """Unpause DAGs so that they are scheduled."""
    for dag_id in api.set_paused(settings(), _pause_targets(dag_ids, tag), False):
        click.echo(f"Unpaused {dag_id}")


@dags.command()
@output_option
def errors(output: str) -> None:
    """List DAG files that failed to import, with the line and the error; exit 1 if any."""
    rows = [
        {"file": e.filename, "line": e.lineno, "error": e.message, "when": e.timestamp}
        for e in api.import_errors(settings())
    ]
    emit(rows, output, ["file", "line", "when", "error"])
    sys.exit(1 if rows else 0)  # scripts and CI can fail on a DAG file that does not import


@dags.command()
@click.argument("dag_id")
@output_option
def versions(dag_id: str, output: str) -> None:
    """List a DAG's versions (a new one each time its structure or code changed)."""
    from scheduler.api import dag_versions

    rows = [v.as_dict() for v in dag_versions.list_dag_versions(settings(), dag_id)]
    emit(rows, output, ["version_number", "created_at", "file_hash", "fileloc"])


@dags.command()
def sync() -> None:
    """Parse the DAG folder now and record its DAGs (the scheduler does this by itself)."""
    accepted, problems = api.sync_dags(settings())
    click.echo(f"{len(accepted)} DAG(s) found, {len(problems)} import error(s)")
    for p in problems:
        click.echo(f"  {p.filename}:{p.lineno or '?'}: {p.message.splitlines()[-1]}", err=True)


@dags.command()
@click.argument("dag_id")
@click.option("--conf", "-c", help="JSON object passed to the run (overrides params).")
@click.option("--logical-date", "-l", help="Logical date, ISO 8601 (default now).")
@output_option
def test(dag_id: str, conf: str | None, logical_date: str | None, output: str) -> None:
    """Run one whole run of DAG_ID in this process; exit 0 only if it succeeds."""
    # Imported here: the whole engine, runner and triggerer, which no other command needs.
    from scheduler.api.explain import explain_run
    from scheduler.api.local_run import run_dag_in_process

    conf_value = api.parse_conf(conf, JsonLimits.from_settings(settings()))
    conf_obj = settings()

    def progress(task_id: str, event: object) -> None:
        if output == "table":
            click.echo(f"  {task_id}: {getattr(event, 'state', '?')}", err=True)

    report = run_dag_in_process(
        conf_obj,
        api.database(conf_obj),
        dag_id,
        conf=conf_value,
        logical_date=api.parse_logical_date(logical_date),
        on_task_done=progress,
    )
    if output == "json":
        click.echo(json.dumps(report.to_dict(), indent=2))
    else:
        rows = [{"task_id": k, **v.__dict__} for k, v in report.tasks.items()]
        emit(rows, output, ["task_id", "state", "tries", "duration_s"])
        click.echo(f"Run {report.run_id}: {report.state}")
        why = explain_run(conf_obj, dag_id, report.run_id)
        if why:  # the state its tasks do not suggest, in the grid's words
            click.echo(why)
        for task_id, failed in report.failures:
            click.echo(
                f"  {task_id} failed (try {failed.failed_try}): {_first_line(failed.error)}",
                err=True,
            )
    sys.exit(0 if report.state == "success" else 1)


def _first_line(error: str | None) -> str:
    lines = [line for line in (error or "").splitlines() if line.strip()]
    return lines[0] if lines else "(no error recorded)"
