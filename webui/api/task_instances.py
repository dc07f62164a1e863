"""Task instances of a run: list, get, mark (PATCH), clear; their logs and XComs."""

from __future__ import annotations

from typing import Any

from scheduler import api
from scheduler.errors import BatonError
from webui.api import serialize
from webui.api.blueprint import api_bp
from webui.api.errors import ApiError
from webui.api.inputs import choice_arg, int_arg, json_body, string_list
from webui.auth import event_source, login_required, role_required
from webui.auth.identity import settings

TI_PATH = "/dags/<dag_id>/dagRuns/<dag_run_id>/taskInstances"
MARKABLE_STATES = ("success", "failed")
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
    return serialize.task_instance(api.get_task_instance(settings(), dag_id, dag_run_id, task_id))


@api_bp.patch(f"{TI_PATH}/<task_id>")
@role_required("Op")
def patch_task_instance(dag_id: str, dag_run_id: str, task_id: str) -> dict[str, Any]:
    """Mark one task instance success or failed (Airflow's ``new_state``)."""
    body = json_body({"new_state": str}, required={"new_state"})
    if body["new_state"] not in MARKABLE_STATES:
        raise ApiError(
            400, f"new_state {body['new_state']!r} is not success or failed", "new_state"
        )
    api.get_task_instance(settings(), dag_id, dag_run_id, task_id)  # 404 names what is missing
    api.mark_tasks(
        settings(), dag_id, dag_run_id, [task_id], body["new_state"], source=event_source()
    )
    return serialize.task_instance(api.get_task_instance(settings(), dag_id, dag_run_id, task_id))


@api_bp.post("/dags/<dag_id>/clearTaskInstances")
@role_required("Op")
def post_clear_task_instances(dag_id: str) -> dict[str, Any]:
    """Run tasks of one run again (and optionally everything downstream of them)."""
    body = json_body(
        {"dag_run_id": str, "task_ids": list, "include_downstream": bool},
        required={"dag_run_id", "task_ids"},
    )
    task_ids = string_list("task_ids", body["task_ids"])
    api.get_run(settings(), dag_id, body["dag_run_id"])
    cleared = api.clear_tasks(
        settings(),
        dag_id,
        body["dag_run_id"],
        task_ids,
        downstream=body.get("include_downstream", False),
        source=event_source(),
    )
    refs = [{"dag_id": dag_id, "dag_run_id": body["dag_run_id"], "task_id": t} for t in cleared]
    return {"task_instances": refs}


@api_bp.get(f"{TI_PATH}/<task_id>/logs")
@login_required
def get_log(dag_id: str, dag_run_id: str, task_id: str) -> dict[str, Any]:
    """The log of the latest try, or of ``?try_number=N``; ``?kind=compensate`` reads the
    task's compensation tries (sagas) instead of its own."""
    try_number = int_arg("try_number", None, low=1, high=MAX_TRY_NUMBER)
    kind = choice_arg("kind", LOG_KINDS) or "task"
    api.get_task_instance(settings(), dag_id, dag_run_id, task_id)
    try:
        number, content, truncated = api.read_task_log(
            settings(), dag_id, dag_run_id, task_id, try_number, max_bytes=MAX_LOG_BYTES, kind=kind
        )
    except BatonError as exc:  # no such try, or not started yet
        raise ApiError(404, str(exc).replace("--try", "try_number"), "try_number") from None
    return {"try_number": number, "kind": kind, "content": content, "truncated": truncated}


@api_bp.get(f"{TI_PATH}/<task_id>/xcomEntries")
@login_required
def get_xcom_entries(dag_id: str, dag_run_id: str, task_id: str) -> dict[str, Any]:
    rows = api.list_xcoms(settings(), dag_id, dag_run_id, task_id)
    return {"xcom_entries": [serialize.xcom_entry(r) for r in rows], "total_entries": len(rows)}
