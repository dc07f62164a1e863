"""Printing listings as a table (for people) or JSON (for scripts): ``-o table|json``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import click

from scheduler.spec import DagSpec

output_option = click.option(
    "-o",
    "--output",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="How to print the result.",
)


def plain(value: Any) -> Any:
    """A JSON-friendly version of a value (datetimes as ISO 8601)."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def emit(rows: Sequence[dict[str, Any]], output: str, columns: Sequence[str]) -> None:
    if output == "json":
        click.echo(json.dumps([plain(r) for r in rows], indent=2))
        return
    if not rows:
        click.echo("(none)")
        return
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    click.echo("  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip())
    for row in cells:
        click.echo("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())


def emit_object(obj: dict[str, Any], output: str) -> None:
    if output == "json":
        click.echo(json.dumps(plain(obj), indent=2))
        return
    width = max((len(k) for k in obj), default=0)
    for key, value in obj.items():
        click.echo(f"{key.ljust(width)}  {_cell(value)}")


def emit_tasks(spec: DagSpec, output: str) -> None:
    """A DAG's tasks with their upstream tasks (``dags show``, ``tasks list``)."""
    rows = [
        {
            "task_id": t.task_id,
            "operator": t.operator,
            "upstream": list(t.upstream),
            "trigger_rule": t.trigger_rule,
            "retries": t.retries,
        }
        for t in spec.tasks.values()
    ]
    emit(rows, output, ["task_id", "operator", "upstream", "trigger_rule", "retries"])


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S%z")
    if isinstance(value, float):
        return f"{value:.3f}"
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value)
    return str(value)
