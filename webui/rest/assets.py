"""``/assets``: list assets and their events, post an event from outside (Airflow's asset API).

``POST /assets/events`` takes Airflow's body, ``{"asset_id": 1, "extra": {...}}``, or the
asset's ``uri`` instead of its id; the DAGs scheduled on the asset run when their condition
holds. ``GET /dags/<dag_id>/dagRuns/<dag_run_id>/upstreamAssetEvents`` lists the events that
triggered a run (Airflow's route).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from scheduler import api
from scheduler.api import assets as asset_api
from scheduler.masking import redact_value
from webui.auth import event_source, login_required, role_required
from webui.auth.identity import settings
from webui.rest.blueprint import api_bp
from webui.rest.errors import ApiError
from webui.rest.inputs import int_arg, json_body, paging
from webui.rest.serialize import listing


@api_bp.get("/assets")
@login_required
def get_assets() -> dict[str, Any]:
    found = paging().of(asset_api.list_assets(settings()))
    return listing("assets", found, asset_json)


@api_bp.get("/assets/events")
@login_required
def get_asset_events() -> dict[str, Any]:
    page = paging()
    asset_id = int_arg("asset_id", None, low=1, high=2**31 - 1)
    found = asset_api.list_asset_events(
        settings(), asset_id=asset_id, limit=page.limit, offset=page.offset
    )
    return listing("asset_events", found, event_json)


@api_bp.post("/assets/events")
@role_required("Op")
def post_asset_event() -> dict[str, Any]:
    body = json_body({"asset_id": int, "uri": str, "extra": dict}, required=set())
    if ("asset_id" in body) == ("uri" in body):
        raise ApiError(400, "name the asset by exactly one of asset_id or uri", "asset_id")
    if isinstance(body.get("asset_id"), bool):
        raise ApiError(400, "asset_id must be an integer", "asset_id")
    created = asset_api.create_asset_event(
        settings(),
        asset_id=body.get("asset_id"),
        uri=body.get("uri"),
        extra=body.get("extra"),
        source=event_source(),
    )
    return event_json({**created, "created_dagruns": []})


@api_bp.get("/dags/<dag_id>/dagRuns/<dag_run_id>/upstreamAssetEvents")
@login_required
def get_upstream_asset_events(dag_id: str, dag_run_id: str) -> dict[str, Any]:
    api.get_run(settings(), dag_id, dag_run_id)  # 404 for an unknown run
    events = asset_api.triggering_events_of_run(settings(), dag_id, dag_run_id)
    shown = [event_json({**e, "created_dagruns": []}) for e in events]
    return {"asset_events": shown, "total_entries": len(shown)}


def asset_json(asset: dict[str, Any]) -> dict[str, Any]:
    last = asset["last_event_at"]
    return {
        "id": asset["id"],
        "uri": asset["uri"],
        "name": asset["name"],
        "group": asset["group"],
        "extra": redact_value(asset["extra"]),
        "created_at": _iso(asset["created_at"]),
        "updated_at": _iso(asset["updated_at"]),
        "producing_tasks": asset["producing_tasks"],
        "scheduled_dags": [{"dag_id": d} for d in asset["consuming_dags"]],
        # Airflow's AssetWatcherResponse fields, and the DAG declaring each watcher
        "watchers": [dict(w) for w in asset["watchers"]],
        "last_asset_event": {"timestamp": _iso(last)} if last else None,
    }


def event_json(event: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": event["id"],
        "asset_id": event["asset_id"],
        "uri": event["uri"],
        "name": event["name"],
        "extra": redact_value(event["extra"]),
        "source_dag_id": event["source_dag_id"],
        "source_run_id": event["source_run_id"],
        "source_task_id": event["source_task_id"],
        "source_map_index": event["source_map_index"],
        "source_alias": event["source_alias"],
        "external_source": event["external_source"],
        "error": redact_value(event.get("error")),  # a failed event: why (None otherwise)
        "created_dagruns": [
            {"dag_id": r["dag_id"], "dag_run_id": r["run_id"]} for r in event["created_dagruns"]
        ],
        "timestamp": _iso(event["timestamp"]),
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
