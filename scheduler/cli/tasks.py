"""``baton tasks``: a DAG's tasks, their states in a run, their logs; test one task."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from scheduler import api
from scheduler.cli.context import settings
from scheduler.cli.output import emit, emit_tasks, output_option
from scheduler.masking import redact_value
from scheduler.spec import DagSpec


@click.group()
def tasks() -> None:
    """Work with tasks and task instances."""


@tasks.command("list")
@click.argument("dag_id")
@click.option("--run-id", "-r", help="Show the task instances of this run with their states.")
@output_option
def list_(dag_id: str, run_id: str | None, output: str) -> None:
    """List DAG_ID's tasks, or with --run-id the state of each task in that run."""
    conf = settings()
    if run_id is None:
        spec = DagSpec.from_dict(api.get_dag(conf, dag_id).spec)
        emit_tasks(spec, output)
        return
    rows = [
        {
            "task_id": ti.task_id,
            "map_index": ti.map_index,
            "state": ti.state,
            "try_number": ti.try_number,
            "start_date": ti.start_date,
            "end_date": ti.end_date,
            "duration": ti.duration,
            "error": ti.error,
        }
        for ti in api.list_task_instances(conf, dag_id, run_id)
    ]
    columns = ["task_id", "map_index", "state", "try_number", "start_date", "duration", "error"]
    emit(rows, output, columns)


def map_index_option(help_text: str) -> Any:
    """``--map-index N`` (Airflow's name), repeatable where several instances make sense."""
    return click.option("--map-index", "map_index", type=int, default=None, help=help_text)


def map_indexes_option(command: Any) -> Any:
    return click.option(
        "--map-index",
        "map_indexes",
        type=int,
        multiple=True,
        help="Only this instance of a mapped task (repeatable; default: every instance).",
    )(command)


@tasks.command()
@click.argument("dag_id")
@click.argument("run_id")
@click.argument("task_id")
@click.option("--try", "try_number", type=int, help="Which try (default: the latest).")
@click.option(
    "--compensation", is_flag=True, help="The log of the task's compensation (sagas) instead."
)
@map_index_option("Which instance of a mapped task.")
def logs(
    dag_id: str,
    run_id: str,
    task_id: str,
    try_number: int | None,
    compensation: bool,
    map_index: int | None,
) -> None:
    """Print the log of one try of TASK_ID in RUN_ID."""
    kind = "compensate" if compensation else "task"
    index = -1 if map_index is None else map_index
    # The file here, or the chunks a worker on another machine shipped to the database.
    _, text, _ = api.read_task_log(
        settings(), dag_id, run_id, task_id, try_number, max_bytes=None, kind=kind, map_index=index
    )
    click.echo(text, nl=False)


@tasks.command()
@click.argument("dag_id")
@click.argument("run_id")
@click.argument("task_ids", nargs=-1, required=True)
@click.option("--downstream", "-d", is_flag=True, help="Also clear every task downstream.")
@map_indexes_option
def clear(
    dag_id: str,
    run_id: str,
    task_ids: tuple[str, ...],
    downstream: bool,
    map_indexes: tuple[int, ...],
) -> None:
    """Run TASK_IDS of RUN_ID again (a finished run is queued again)."""
    cleared = api.clear_tasks(
        settings(),
        dag_id,
        run_id,
        list(task_ids),
        downstream=downstream,
        map_indexes=list(map_indexes) or None,
    )
    click.echo(f"Cleared {len(cleared)} task(s): {', '.join(cleared) or '-'}")


@tasks.command()
@click.argument("dag_id")
@click.argument("run_id")
@click.argument("task_ids", nargs=-1, required=True)
@click.option("--state", type=click.Choice(["success", "failed"]), required=True)
@map_indexes_option
def mark(
    dag_id: str, run_id: str, task_ids: tuple[str, ...], state: str, map_indexes: tuple[int, ...]
) -> None:
    """Set TASK_IDS of RUN_ID to success or failed by hand (a running try is stopped)."""
    indexes = list(map_indexes) or None
    marked = api.mark_tasks(settings(), dag_id, run_id, list(task_ids), state, map_indexes=indexes)
    click.echo(f"Marked {len(marked)} task(s) {state}: {', '.join(marked) or '-'}")


@tasks.command()
@click.argument("dag_id")
@click.argument("run_id")
@click.argument("task_id")
@map_index_option("Only this instance of a mapped task (default: every instance).")
@output_option
def xcom(dag_id: str, run_id: str, task_id: str, map_index: int | None, output: str) -> None:
    """Show the XComs TASK_ID pushed in RUN_ID (secrets masked, as in the web UI)."""
    rows = [
        {
            "map_index": row.map_index,
            "key": row.key,
            "value": redact_value(_json_or_text(row.value), row.key),
            "timestamp": row.created_at,
        }
        for row in api.list_xcoms(settings(), dag_id, run_id, task_id, map_index)
    ]
    if output == "table":
        rows = [{**row, "value": json.dumps(row["value"])} for row in rows]
    emit(rows, output, ["map_index", "key", "value", "timestamp"])


def _json_or_text(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text  # stored by hand, not by a worker


@tasks.command()
@click.argument("dag_id")
@click.argument("task_id")
@click.option("--logical-date", "-l", help="Logical date, ISO 8601 (default now).")
@click.option("--conf", "-c", help="JSON object available as conf/params.")
@map_index_option("For a mapped task: which instance to run (its values must be known).")
def test(
    dag_id: str,
    task_id: str,
    logical_date: str | None,
    conf: str | None,
    map_index: int | None,
) -> None:
    """Run one task once, in this process, ignoring dependencies and recording nothing."""
    result = api.run_task_test(
        settings(), dag_id, task_id, logical_date=logical_date, conf=conf, map_index=map_index
    )
    click.echo(result.log, nl=False)
    click.echo(f"Task {task_id}: {result.state}" + (f" ({result.error})" if result.error else ""))
    sys.exit(0 if result.succeeded else 1)
