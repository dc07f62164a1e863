"""Mapped task instances in the REST API, with Airflow's routes: ``.../{task_id}/listMapped``
(one page of a task's instances), ``.../{task_id}/{map_index}`` (get, and mark with PATCH).

``instance()`` is the lookup every task-instance route shares: a missing instance answers 404
naming the map indexes that exist, or telling the client to add one when the task is mapped.
"""

from __future__ import annotations

from typing import Any

from flask import request
from sqlalchemy import func, select

from scheduler import api
from scheduler.errors import TaskNotFoundError
from scheduler.states import TaskState
from scheduler.store.db import transaction
from scheduler.store.models import TaskInstanceRow, task_instance_table
from webui.auth import event_source, login_required, role_required
from webui.auth.identity import settings
from webui.queries.mapped import instances_page
from webui.rest import serialize
from webui.rest.blueprint import api_bp
from webui.rest.errors import ApiError
from webui.rest.inputs import json_body, paging

TI_PATH = "/dags/<dag_id>/dagRuns/<dag_run_id>/taskInstances"
MARKABLE_STATES = ("success", "failed")
MAX_MAP_INDEX = 2**31 - 1
TASK_STATES = frozenset(state.value for state in TaskState)


def parse_map_index(raw: str) -> int:
    """A map index from the URL: -1 (not mapped) or 0 and up; anything else is a 400."""
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(
            400,
            f"map_index={raw!r} is not an integer; use -1 (not mapped) or 0 and up",
            "map_index",
        ) from None
    if not -1 <= value <= MAX_MAP_INDEX:
        raise ApiError(
            400, f"map_index={value} is out of range; use -1 to {MAX_MAP_INDEX}", "map_index"
        )
    return value


def instance(
    dag_id: str, run_id: str, task_id: str, map_index: int, *, hint: str = "path"
) -> TaskInstanceRow:
    """The task instance, or a 404 that says which map indexes exist. ``hint`` says how the
    client names an instance on this route: a URL segment ("path") or ``?map_index=``."""
    try:
        return api.get_task_instance(settings(), dag_id, run_id, task_id, map_index)
    except TaskNotFoundError:
        count, low, high = _indexes(dag_id, run_id, task_id)
        if not count:
            raise  # no such task in the run: the library's message says so
        message = _why(task_id, run_id, map_index, count, low, high, hint)
        raise ApiError(404, message, "map_index") from None


def _indexes(dag_id: str, run_id: str, task_id: str) -> tuple[int, int, int]:
    ti = task_instance_table.c
    with transaction(api.read_database(settings())) as session:
        row = session.execute(
            select(func.count(), func.min(ti.map_index), func.max(ti.map_index)).where(
                ti.dag_id == dag_id, ti.run_id == run_id, ti.task_id == task_id
            )
        ).one()
    return row[0], row[1], row[2]


def _why(task_id: str, run_id: str, wanted: int, count: int, low: int, high: int, hint: str) -> str:
    where = f"run '{run_id}'"
    if high < 0:
        return f"task '{task_id}' of {where} is not mapped; leave out the map index (or use -1)"
    if wanted < 0:
        how = (
            "add the map index to the URL (.../taskInstances/{task_id}/{map_index})"
            if hint == "path"
            else "pass ?map_index=N"
        )
        return (
            f"task '{task_id}' of {where} is mapped into {count} instances (map indexes "
            f"{low}..{high}): {how}, or list them with .../taskInstances/{task_id}/listMapped"
        )
    return (
        f"task '{task_id}' of {where} has no mapped instance {wanted}; "
        f"its map indexes are {low}..{high}"
    )


@api_bp.get(f"{TI_PATH}/<task_id>/listMapped")
@login_required
def get_mapped_task_instances(dag_id: str, dag_run_id: str, task_id: str) -> dict[str, Any]:
    """One page of a mapped task's instances in map_index order (Airflow's
    ``listMapped``); ``?state=`` (repeatable) keeps only those states."""
    page = paging()
    states = request.args.getlist("state")
    for state in states:
        if state not in TASK_STATES:
            raise ApiError(
                400,
                f"state={state!r} is not a task state; use one of {', '.join(sorted(TASK_STATES))}",
                "state",
            )
    api.get_run(settings(), dag_id, dag_run_id)  # an unknown run is a 404 naming it
    if not _is_mapped(dag_id, task_id):
        api.get_task_instance(settings(), dag_id, dag_run_id, task_id)  # 404 if unknown
        raise ApiError(
            404,
            f"task '{task_id}' of DAG '{dag_id}' is not mapped; "
            f"get it at .../taskInstances/{task_id}",
            "task_id",
        )
    with transaction(api.read_database(settings())) as session:
        found = instances_page(session, (dag_id, dag_run_id), task_id, page, states=states)
    return serialize.listing("task_instances", found, serialize.task_instance)


def _is_mapped(dag_id: str, task_id: str) -> bool:
    """Whether the DAG's task is mapped (``.expand()``), expanded yet or not."""
    spec = api.get_dag(settings(), dag_id).spec or {}
    task = next((t for t in spec.get("tasks", []) if t.get("task_id") == task_id), None)
    return bool(task and task.get("mapping"))


@api_bp.get(f"{TI_PATH}/<task_id>/<map_index>")
@login_required
def get_mapped_task_instance(
    dag_id: str, dag_run_id: str, task_id: str, map_index: str
) -> dict[str, Any]:
    index = parse_map_index(map_index)
    return serialize.task_instance(instance(dag_id, dag_run_id, task_id, index))


@api_bp.patch(f"{TI_PATH}/<task_id>/<map_index>")
@role_required("Op")
def patch_mapped_task_instance(
    dag_id: str, dag_run_id: str, task_id: str, map_index: str
) -> dict[str, Any]:
    """Mark one instance of a mapped task success or failed (Airflow's ``new_state``)."""
    index = parse_map_index(map_index)
    return mark_instance(dag_id, dag_run_id, task_id, index)


def mark_instance(dag_id: str, run_id: str, task_id: str, map_index: int) -> dict[str, Any]:
    """PATCH of one task instance (mapped or not): the body's ``new_state``, then the row."""
    body = json_body({"new_state": str}, required={"new_state"})
    if body["new_state"] not in MARKABLE_STATES:
        raise ApiError(
            400, f"new_state {body['new_state']!r} is not success or failed", "new_state"
        )
    instance(dag_id, run_id, task_id, map_index)  # 404 names what is missing
    api.mark_tasks(
        settings(),
        dag_id,
        run_id,
        [task_id],
        body["new_state"],
        source=event_source(),
        map_indexes=None if map_index < 0 else [map_index],
    )
    return serialize.task_instance(instance(dag_id, run_id, task_id, map_index))
