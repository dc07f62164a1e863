"""Task instances of a run: list, get, mark (PATCH), clear; their logs and XComs."""

from __future__ import annotations

from typing import Any

from scheduler import api
from scheduler.errors import BatonError
from webui.auth import event_source, login_required, role_required
from webui.auth.identity import settings
from webui.queries.tasks import rendered_fields
from webui.rest import serialize
from webui.rest.blueprint import api_bp
from webui.rest.errors import ApiError
from webui.rest.inputs import choice_arg, int_arg, json_body
from webui.rest.mapped_instances import MAX_MAP_INDEX, instance, mark_instance

TI_PATH = "/dags/<dag_id>/dagRuns/<dag_run_id>/taskInstances"
MAX_LOG_BYTES = 2 * 1024 * 1024  # the tail of a longer log; "truncated" says so
LOG_KINDS = frozenset({"task", "compensate"})
MAX_TRY_NUMBER = 10**6


@api_bp.get(TI_PATH)
@login_required
def get_task_instances(dag_id: str, dag_run_id: str) -> dict[str, Any]:
    rows = api.list_task_instances(settings(), dag_id, dag_run_id)
    return {
        "task_instances": [serialize.task_instance(r) for r in rows],
        "total_entries": len(rows),
    }


@api_bp.get(f"{TI_PATH}/<task_id>")
@login_required
def get_task_instance(dag_id: str, dag_run_id: str, task_id: str) -> dict[str, Any]:
    """An unmapped task instance; a mapped task answers 404 asking for the map index, as
    Airflow does (``.../{task_id}/{map_index}``, ``.../{task_id}/listMapped``)."""
    row = instance(dag_id, dag_run_id, task_id, -1)
    return {**serialize.task_instance(row), "rendered_fields": _rendered(row)}


def _rendered(row: Any) -> dict[str, str]:
    """The template fields of the latest try as rendered (Airflow's ``rendered_fields``):
    the runner logs each one ("Rendered name: value", secrets masked); none before a try."""
    if row.try_number < 1 or row.start_date is None:
        return {}
    try:
        _number, text, _cut = api.read_task_log(
            settings(),
            row.dag_id,
            row.run_id,
            row.task_id,
            None,
            max_bytes=MAX_LOG_BYTES,
            map_index=row.map_index,
        )
    except BatonError:  # the try has no log (yet)
        return {}
    return dict(rendered_fields(text))


@api_bp.get(f"{TI_PATH}/<task_id>/tries")
@login_required
def get_task_instance_tries(dag_id: str, dag_run_id: str, task_id: str) -> dict[str, Any]:
    """Every try of a task instance, oldest first (Airflow's task instance history);
    ``?map_index=N`` names an instance of a mapped task."""
    map_index = int_arg("map_index", -1, low=-1, high=MAX_MAP_INDEX)
    assert map_index is not None
    instance(dag_id, dag_run_id, task_id, map_index, hint="query")
    rows = api.list_tries(settings(), dag_id, dag_run_id, task_id, map_index=map_index)
    return {"task_instances": [serialize.task_try(r) for r in rows], "total_entries": len(rows)}


@api_bp.patch(f"{TI_PATH}/<task_id>")
@role_required("Op")
def patch_task_instance(dag_id: str, dag_run_id: str, task_id: str) -> dict[str, Any]:
    """Mark one task instance success or failed (Airflow's ``new_state``)."""
    return mark_instance(dag_id, dag_run_id, task_id, -1)


@api_bp.post("/dags/<dag_id>/clearTaskInstances")
@role_required("Op")
def post_clear_task_instances(dag_id: str) -> dict[str, Any]:
    """Run tasks of one run again (and optionally everything downstream of them)."""
    body = json_body(
        {
            "dag_run_id": str,
            "task_ids": list,
            "include_downstream": bool,
            "include_upstream": bool,
            "recursive": bool,
        },
        required={"dag_run_id", "task_ids"},
    )
    whole, instances = clear_targets(body["task_ids"])
    api.get_run(settings(), dag_id, body["dag_run_id"])
    # One library call per target: a whole task clears every instance, a [task_id,
    # map_index] pair only the instances named for that task.
    calls = ([(whole, None)] if whole else []) + [([t], i) for t, i in instances.items()]
    cleared: list[str] = []
    for task_ids, map_indexes in calls:
        cleared += api.clear_tasks(
            settings(),
            dag_id,
            body["dag_run_id"],
            task_ids,
            downstream=body.get("include_downstream", False),
            source=event_source(),
            map_indexes=map_indexes,
            upstream=body.get("include_upstream", False),
            recursive=body.get("recursive", True),
        )
    refs = [
        {"dag_id": dag_id, "dag_run_id": body["dag_run_id"], "task_id": t}
        for t in dict.fromkeys(cleared)
    ]
    return {"task_instances": refs}


def clear_targets(items: list[Any]) -> tuple[list[str], dict[str, list[int]]]:
    """``task_ids`` as Airflow takes them: each a task id (every instance) or a
    ``[task_id, map_index]`` pair (that instance of a mapped task)."""
    whole: list[str] = []
    instances: dict[str, list[int]] = {}
    problem = "field 'task_ids' must be a non-empty list of task ids or [task_id, map_index] pairs"
    if not items:
        raise ApiError(400, problem, "task_ids")
    for item in items:
        if isinstance(item, str) and item:
            whole.append(item)
        elif (
            isinstance(item, list)
            and len(item) == 2
            and isinstance(item[0], str)
            and item[0]
            and isinstance(item[1], int)
            and not isinstance(item[1], bool)
            and 0 <= item[1] <= MAX_MAP_INDEX
        ):
            instances.setdefault(item[0], []).append(item[1])
        else:
            raise ApiError(400, f"{problem} (map_index 0 and up); got {item!r}", "task_ids")
    both = sorted(set(whole) & set(instances))
    if both:
        raise ApiError(
            400,
            f"task_ids names '{both[0]}' both whole and by map index; keep one of the two",
            "task_ids",
        )
    return whole, instances


@api_bp.get(f"{TI_PATH}/<task_id>/logs")
@login_required
def get_log(dag_id: str, dag_run_id: str, task_id: str) -> dict[str, Any]:
    """The log of the latest try, or of ``?try_number=N``; ``?kind=compensate`` reads the
    task's compensation tries (sagas) instead of its own; ``?map_index=N`` names an instance
    of a mapped task (Airflow's query parameter)."""
    try_number = int_arg("try_number", None, low=1, high=MAX_TRY_NUMBER)
    kind = choice_arg("kind", LOG_KINDS) or "task"
    map_index = int_arg("map_index", -1, low=-1, high=MAX_MAP_INDEX)
    assert map_index is not None
    instance(dag_id, dag_run_id, task_id, map_index, hint="query")
    try:
        number, content, truncated = api.read_task_log(
            settings(),
            dag_id,
            dag_run_id,
            task_id,
            try_number,
            max_bytes=MAX_LOG_BYTES,
            kind=kind,
            map_index=map_index,
        )
    except BatonError as exc:  # no such try, or not started yet
        raise ApiError(404, str(exc).replace("--try", "try_number"), "try_number") from None
    return {"try_number": number, "kind": kind, "content": content, "truncated": truncated}


@api_bp.get(f"{TI_PATH}/<task_id>/xcomEntries")
@login_required
def get_xcom_entries(dag_id: str, dag_run_id: str, task_id: str) -> dict[str, Any]:
    """The task's XComs: of every instance, or of ``?map_index=N`` (Airflow's filter)."""
    map_index = int_arg("map_index", None, low=-1, high=MAX_MAP_INDEX)
    if map_index is not None:  # (without it the library checks that the task exists)
        instance(dag_id, dag_run_id, task_id, map_index, hint="query")
    rows = api.list_xcoms(settings(), dag_id, dag_run_id, task_id, map_index)
    return {"xcom_entries": [serialize.xcom_entry(r) for r in rows], "total_entries": len(rows)}
