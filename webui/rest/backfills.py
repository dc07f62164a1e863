"""``/backfills``: list, create, dry run, get, pause, unpause, cancel (Airflow 3's backfill
API; Op and above change). A backfill's JSON has Airflow's fields (``id, dag_id, from_date,
to_date, dag_run_conf, is_paused, reprocess_behavior, max_active_runs, created_at,
completed_at, updated_at``), then Baton's: ``run_backwards, cancelled_at, created_by,
state`` and ``progress`` (its dates counted by where they are)."""

from __future__ import annotations

from typing import Any

from flask import request

from scheduler.api import backfills
from scheduler.store.backfills import BackfillRequest
from webui.auth import event_source, login_required, role_required
from webui.auth.identity import settings
from webui.rest import openapi_backfills  # noqa: F401  (documents these routes)
from webui.rest.blueprint import api_bp
from webui.rest.errors import ApiError
from webui.rest.inputs import json_body, paging, parse_datetime
from webui.rest.serialize import listing

_FIELDS: dict[str, type | tuple[type, ...]] = {
    "dag_id": str,
    "from_date": str,
    "to_date": str,
    "run_backwards": bool,
    "dag_run_conf": (dict, type(None)),
    "reprocess_behavior": str,
    "max_active_runs": int,
}
_REQUIRED = {"dag_id", "from_date", "to_date"}


@api_bp.get("/backfills")
@login_required
def get_backfills() -> dict[str, Any]:
    page = paging()
    dag_id = request.args.get("dag_id")
    raw = request.args.get("active")
    if raw not in (None, "true", "false"):
        raise ApiError(400, "active must be true or false", "active")
    active = None if raw is None else raw == "true"
    found = backfills.list_backfills(
        settings(), dag_id, active=active, limit=page.limit, offset=page.offset
    )
    total = backfills.count_backfills(settings(), dag_id)
    return listing("backfills", page.filled(found, total), lambda backfill: backfill.as_dict())


@api_bp.post("/backfills")
@role_required("Op")
def post_backfill() -> dict[str, Any]:
    view = backfills.create_backfill(settings(), _request(), source=event_source())
    return view.as_dict()


@api_bp.post("/backfills/dry_run")
@role_required("Op")
def post_backfill_dry_run() -> dict[str, Any]:
    planned = backfills.dry_run_backfill(settings(), _request())
    rows = [p.as_dict() for p in planned]
    dag_id = request.get_json()["dag_id"]
    return {"backfills": [{"dag_id": dag_id, **r} for r in rows], "total_entries": len(rows)}


@api_bp.get("/backfills/<int:backfill_id>")
@login_required
def get_backfill(backfill_id: int) -> dict[str, Any]:
    return backfills.get_backfill(settings(), backfill_id).as_dict()


@api_bp.put("/backfills/<int:backfill_id>/pause")
@role_required("Op")
def pause_backfill(backfill_id: int) -> dict[str, Any]:
    return backfills.set_backfill_paused(settings(), backfill_id, True).as_dict()


@api_bp.put("/backfills/<int:backfill_id>/unpause")
@role_required("Op")
def unpause_backfill(backfill_id: int) -> dict[str, Any]:
    return backfills.set_backfill_paused(settings(), backfill_id, False).as_dict()


@api_bp.put("/backfills/<int:backfill_id>/cancel")
@role_required("Op")
def cancel_backfill(backfill_id: int) -> dict[str, Any]:
    return backfills.cancel_backfill(settings(), backfill_id, source=event_source()).as_dict()


def _request() -> BackfillRequest:
    body = json_body(_FIELDS, required=_REQUIRED)
    return backfills.make_request(
        body["dag_id"],
        parse_datetime("from_date", body["from_date"]),
        parse_datetime("to_date", body["to_date"]),
        max_active_runs=body.get("max_active_runs", 10),
        reprocess_behavior=body.get("reprocess_behavior", "none"),
        run_backwards=body.get("run_backwards", False),
        conf=body.get("dag_run_conf"),
    )
