"""``baton assets``: list assets and their events, record an event from outside."""

from __future__ import annotations

import json
from typing import Any

import click

from scheduler.api import assets as asset_api
from scheduler.cli.context import settings
from scheduler.cli.output import emit, emit_object, output_option
from scheduler.errors import InvalidAssetEventError
from scheduler.store.events import process_source

COLUMNS = ["id", "uri", "name", "group", "producing_tasks", "consuming_dags", "last_event_at"]
EVENT_COLUMNS = ["id", "uri", "timestamp", "source", "extra", "created_dagruns"]


@click.group()
def assets() -> None:
    """Assets: data that tasks produce (outlets=) and DAGs are scheduled on (schedule=)."""


@assets.command("list")
@output_option
def list_(output: str) -> None:
    """Every asset with the tasks producing it, the DAGs consuming it and its last event."""
    rows = asset_api.list_assets(settings())
    for row in rows:
        if output == "table":
            row["producing_tasks"] = ", ".join(
                f"{p['dag_id']}.{p['task_id']}" for p in row["producing_tasks"]
            )
            row["consuming_dags"] = ", ".join(row["consuming_dags"])
    emit(rows, output, COLUMNS)


@assets.command("events")
@click.option("--uri", help="Only the events of this asset.")
@click.option("--limit", type=int, default=20, show_default=True)
@output_option
def events(uri: str | None, limit: int, output: str) -> None:
    """Asset events, newest first, with the runs each one triggered."""
    rows = asset_api.list_asset_events(settings(), uri=uri, limit=limit).rows
    if output == "table":
        rows = [_event_row(row) for row in rows]
    emit(rows, output, EVENT_COLUMNS)


@assets.command("event")
@click.argument("uri")
@click.option("--extra", help="The event's extra, a JSON object: '{\"rows\": 42}'.")
@output_option
def event(uri: str, extra: str | None, output: str) -> None:
    """Record an event of asset URI (as a producing task would): the DAGs scheduled on it
    run when their condition holds."""
    created = asset_api.create_asset_event(
        settings(), uri=uri, extra=_parse_extra(extra), source=process_source("cli")
    )
    emit_object(created, output)


def _parse_extra(text: str | None) -> dict[str, Any] | None:
    if not text:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidAssetEventError(
            f"--extra is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno}); "
            "pass an object such as '{\"rows\": 42}'"
        ) from None


def _event_row(row: dict[str, Any]) -> dict[str, Any]:
    source = row["external_source"] or (
        f"{row['source_dag_id']}/{row['source_run_id']}/{row['source_task_id']}"
    )
    runs = ", ".join(f"{r['dag_id']}/{r['run_id']}" for r in row["created_dagruns"])
    return {**row, "source": source, "extra": json.dumps(row["extra"]), "created_dagruns": runs}
