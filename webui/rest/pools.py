"""``/pools``: list, get, create, update, delete (Airflow's pool API; Op and above change).

A pool's JSON has Airflow's fields: ``name``, ``slots`` (-1: unlimited), the slots its task
instances take per state (``running_slots``, ``queued_slots``, ``scheduled_slots``,
``deferred_slots``), ``occupied_slots``, ``open_slots`` (-1 when unlimited),
``description``, ``include_deferred`` and Baton's ``rate_limit`` ("10/s": the pool's tries
are dispatched at most at that rate; null: no limit).
"""

from __future__ import annotations

from typing import Any

from flask import Response

from scheduler import api
from webui.auth import event_source, login_required, role_required
from webui.auth.identity import settings
from webui.rest.blueprint import api_bp
from webui.rest.errors import ApiError
from webui.rest.inputs import json_body, paging
from webui.rest.serialize import listing

_FIELDS: dict[str, type | tuple[type, ...]] = {
    "name": str,
    "slots": int,
    "description": (str, type(None)),
    "include_deferred": bool,
    "rate_limit": (str, type(None)),  # "10/s", "100/m", "5/h"; null: none
}


@api_bp.get("/pools")
@login_required
def get_pools() -> dict[str, Any]:
    found = paging().of(api.list_pools(settings()))
    return listing("pools", found, lambda pool: pool.as_dict())


@api_bp.get("/pools/<pool_name>")
@login_required
def get_pool(pool_name: str) -> dict[str, Any]:
    return api.get_pool(settings(), pool_name).as_dict()


@api_bp.post("/pools")
@role_required("Op")
def post_pool() -> dict[str, Any]:
    body = json_body(_FIELDS, required={"name", "slots"})
    created = api.create_pool(
        settings(),
        body["name"],
        body["slots"],
        body.get("description"),
        include_deferred=body.get("include_deferred", False),
        rate_limit=body.get("rate_limit"),
        source=event_source(),
    )
    return created.as_dict()


@api_bp.patch("/pools/<pool_name>")
@role_required("Op")
def patch_pool(pool_name: str) -> dict[str, Any]:
    body = json_body(_FIELDS, required=set())
    if body.pop("name", pool_name) != pool_name:
        raise ApiError(
            400,
            "renaming a pool is not supported; create a pool with the new name (POST /pools), "
            "move the tasks to it, then delete this one",
            "name",
        )
    return api.update_pool(settings(), pool_name, source=event_source(), **body).as_dict()


@api_bp.delete("/pools/<pool_name>")
@role_required("Op")
def delete_pool(pool_name: str) -> Response:
    api.delete_pool(settings(), pool_name, source=event_source())
    return Response(status=204)
