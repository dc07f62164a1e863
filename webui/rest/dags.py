"""``/dags``: list, get, pause/unpause."""

from __future__ import annotations

from typing import Any

from scheduler import api
from webui.auth import event_source, login_required, role_required
from webui.auth.identity import settings
from webui.rest import serialize
from webui.rest.blueprint import api_bp
from webui.rest.inputs import json_body, paging


@api_bp.get("/dags")
@login_required
def get_dags() -> dict[str, Any]:
    page = paging()
    found = api.dags_page(settings(), limit=page.limit, offset=page.offset)
    return serialize.listing("dags", found, serialize.dag)


@api_bp.get("/dags/<dag_id>")
@login_required
def get_dag(dag_id: str) -> dict[str, Any]:
    return serialize.dag(api.get_dag(settings(), dag_id))


@api_bp.patch("/dags/<dag_id>")
@role_required("Op")
def patch_dag(dag_id: str) -> dict[str, Any]:
    body = json_body({"is_paused": bool}, required={"is_paused"})
    api.set_paused(settings(), [dag_id], body["is_paused"], source=event_source())
    return serialize.dag(api.get_dag(settings(), dag_id))
