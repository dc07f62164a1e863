"""Run actions in the REST API, with Airflow's routes: mark a run (``PATCH`` with
``state``), clear it (``POST .../clear``), delete it. The library functions are the run
page's (``scheduler.api.run_actions``); the grid's details panel calls these."""

from __future__ import annotations

from typing import Any

from flask import Response

from scheduler import api
from scheduler.states import FINISHED_RUN_STATES
from webui.auth import event_source, role_required
from webui.auth.identity import settings
from webui.rest.blueprint import api_bp
from webui.rest.errors import ApiError
from webui.rest.inputs import json_body

RUN_PATH = "/dags/<dag_id>/dagRuns/<dag_run_id>"
MARKABLE = ("success", "failed")


@api_bp.patch(RUN_PATH)
@role_required("Op")
def patch_dag_run(dag_id: str, dag_run_id: str) -> dict[str, Any]:
    """Mark the run success or failed (through its task instances, as Airflow does)."""
    body = json_body({"state": str}, required={"state"})
    if body["state"] not in MARKABLE:
        raise ApiError(400, f"cannot mark a run '{body['state']}'; use success or failed", "state")
    changed = api.mark_run(settings(), dag_id, dag_run_id, body["state"], source=event_source())
    run = api.get_run(settings(), dag_id, dag_run_id)
    return {"dag_run_id": run.run_id, "state": body["state"], "task_instances": changed}


@api_bp.post(f"{RUN_PATH}/clear")
@role_required("Op")
def post_clear_dag_run(dag_id: str, dag_run_id: str) -> dict[str, Any]:
    """Run the run's tasks again (``only_failed``: the failed ones and what they need)."""
    body = json_body({"only_failed": bool}, required=set())
    cleared = api.clear_run(
        settings(),
        dag_id,
        dag_run_id,
        only_failed=body.get("only_failed", False),
        source=event_source(),
    )
    refs = [{"dag_id": dag_id, "dag_run_id": dag_run_id, "task_id": t} for t in cleared]
    return {"task_instances": refs}


@api_bp.delete(RUN_PATH)
@role_required("Op")
def delete_dag_run(dag_id: str, dag_run_id: str) -> Response:
    """Delete a finished run (its events stay in the event log); an unfinished one: 409."""
    run = api.get_run(settings(), dag_id, dag_run_id)
    if run.state not in FINISHED_RUN_STATES:
        raise ApiError(
            409,
            f"run '{dag_run_id}' is {run.state}; mark it failed (or let it finish) first",
            "dag_run_id",
        )
    api.delete_run(settings(), dag_id, dag_run_id, source=event_source())
    return Response(status=204)
