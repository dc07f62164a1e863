"""``baton hitl``: the questions human-in-the-loop tasks ask, and answering them.

The CLI's side of the web UI's "Required actions" page and of the REST API's
``/hitlDetails`` routes (``scheduler.api.hitl``).
"""

from __future__ import annotations

import json
from typing import Any

import click

from scheduler.api import hitl
from scheduler.cli.context import settings
from scheduler.cli.output import emit, emit_object, output_option
from scheduler.errors import BatonError
from scheduler.store.events import process_source

COLUMNS = ["dag_id", "dag_run_id", "task_id", "map_index", "state", "subject", "options",
           "chosen_options", "responded_by"]  # fmt: skip


@click.group("hitl")
def hitl_group() -> None:
    """Human-in-the-loop questions: list the pending ones, answer one."""


@hitl_group.command("list")
@click.option("--dag-id", default=None, help="Only this DAG's questions.")
@click.option("--run-id", default=None, help="Only this run's questions.")
@click.option("--all", "show_all", is_flag=True, help="Answered questions too.")
@click.option("--limit", type=click.IntRange(1, 1000), default=100, show_default=True)
@output_option
def list_(dag_id: str | None, run_id: str | None, show_all: bool, limit: int, output: str) -> None:
    """The questions waiting for an answer (newest first)."""
    found = hitl.list_hitl_details(
        settings(),
        dag_id=dag_id,
        run_id=run_id,
        response_received=None if show_all else False,
        limit=limit,
    ).rows
    if output == "json":
        emit(found, output, COLUMNS)
        return
    emit([_row(d) for d in found], output, COLUMNS)


@hitl_group.command("respond")
@click.argument("dag_id")
@click.argument("run_id")
@click.argument("task_id")
@click.option("--map-index", type=int, default=-1, show_default=True)
@click.option(
    "--option",
    "options",
    multiple=True,
    required=True,
    help="A chosen option (repeat it where the question takes several).",
)
@click.option("--params-input", default=None, help="The params' values as a JSON object.")
@click.option(
    "--username",
    required=True,
    help="The Baton user answering (role Op or above); the event log and XCom name them.",
)
@output_option
def respond(
    dag_id: str,
    run_id: str,
    task_id: str,
    map_index: int,
    options: tuple[str, ...],
    params_input: str | None,
    username: str,
    output: str,
) -> None:
    """Answer the question of task TASK_ID in run RUN_ID of DAG_ID; the task resumes."""
    conf = settings()
    answer = hitl.respond(
        conf,
        hitl.HitlKey(dag_id, run_id, task_id, map_index),
        list(options),
        _parse_params_input(params_input),
        responder=hitl.responder_named(conf, username),
        source=process_source("cli"),
    )
    emit_object(answer, output)


def _row(detail: dict[str, Any]) -> dict[str, Any]:
    ti = detail["task_instance"]
    return {
        "dag_id": ti["dag_id"],
        "dag_run_id": ti["dag_run_id"],
        "task_id": ti["task_id"],
        "map_index": ti["map_index"],
        "state": ti["state"],
        "subject": detail["subject"],
        "options": detail["options"],
        "chosen_options": detail["chosen_options"],
        "responded_by": (detail["responded_by_user"] or {}).get("name"),
    }


def _parse_params_input(text: str | None) -> dict[str, Any]:
    if text is None:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BatonError(
            f'--params-input is not valid JSON ({exc}); e.g. \'{{"note": "ok"}}\''
        ) from None
    if not isinstance(value, dict):
        raise BatonError('--params-input must be a JSON object, e.g. \'{"note": "ok"}\'')
    return value
