"""Human-in-the-loop questions in the REST API, with Airflow 3.1's routes and shapes.

``GET /dags/{dag_id}/dagRuns/{dag_run_id}/hitlDetails`` lists questions (``~`` for any DAG
or run; ``?response_received=false``: the pending ones), ``GET`` and ``PATCH`` on
``.../taskInstances/{task_id}/{map_index}/hitlDetails`` read one and answer it with
``{"chosen_options": [...], "params_input": {...}}``. Answering needs Op or above; the
answer resumes the task at once (``scheduler.api.hitl``).
"""

from __future__ import annotations

from typing import Any

from scheduler.api import hitl
from scheduler.api.hitl import HitlKey, Responder
from webui.auth import event_source, login_required, role_required
from webui.auth.identity import current_user, settings
from webui.rest import openapi_hitl  # noqa: F401  (documents these routes)
from webui.rest.blueprint import api_bp
from webui.rest.inputs import json_body, optional_bool_arg, paging
from webui.rest.mapped_instances import parse_map_index
from webui.rest.serialize import listing

RUN_PATH = "/dags/<dag_id>/dagRuns/<dag_run_id>"
DETAIL_PATH = f"{RUN_PATH}/taskInstances/<task_id>/<map_index>/hitlDetails"
ANY = "~"


@api_bp.get(f"{RUN_PATH}/hitlDetails")
@login_required
def get_hitl_details(dag_id: str, dag_run_id: str) -> dict[str, Any]:
    page = paging()
    found = hitl.list_hitl_details(
        settings(),
        dag_id=None if dag_id == ANY else dag_id,
        run_id=None if dag_run_id == ANY else dag_run_id,
        response_received=optional_bool_arg("response_received"),
        limit=page.limit,
        offset=page.offset,
    )
    return listing("hitl_details", found)


@api_bp.get(DETAIL_PATH)
@login_required
def get_hitl_detail(dag_id: str, dag_run_id: str, task_id: str, map_index: str) -> dict[str, Any]:
    key = HitlKey(dag_id, dag_run_id, task_id, parse_map_index(map_index))
    return hitl.get_hitl_detail(settings(), key)


@api_bp.patch(DETAIL_PATH)
@role_required(hitl.RESPONDER_ROLE)
def update_hitl_detail(
    dag_id: str, dag_run_id: str, task_id: str, map_index: str
) -> dict[str, Any]:
    """Answer the question (once): Airflow's UpdateHITLDetailPayload → HITLDetailResponse."""
    body = json_body({"chosen_options": list, "params_input": dict}, required={"chosen_options"})
    return hitl.respond(
        settings(),
        HitlKey(dag_id, dag_run_id, task_id, parse_map_index(map_index)),
        body["chosen_options"],
        body.get("params_input") or {},
        responder=current_responder(),
        source=event_source(),
    )


def current_responder() -> Responder:
    """The logged-in user as Airflow's HITLUser (``id`` as a string, ``name``)."""
    user = current_user()
    assert user is not None  # the views require a login
    return Responder(id=str(user.id), name=user.username)
