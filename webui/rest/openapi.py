"""The OpenAPI 3.1 document of ``/api/v1``, served at ``/api/v1/openapi.json``.

One place for the whole contract; tests check that every route of the blueprint is
documented here and every path here is a route, and schemathesis checks real answers
against it.
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from webui.auth import login_required
from webui.rest.blueprint import api_bp
from webui.rest.inputs import MAX_LIMIT, MAX_OFFSET
from webui.rest.openapi_schemas import SCHEMAS, ref

_RUN_STATES = SCHEMAS["DAGRun"]["properties"]["state"]
_TI_STATES = SCHEMAS["TaskInstance"]["properties"]["state"]


def _path(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


PAGING = [
    _query(
        "limit",
        {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": 100},
        "Rows per page.",
    ),
    _query(
        "offset",
        {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0},
        "Rows to skip.",
    ),
]
DAG, RUN, TASK = _path("dag_id"), _path("dag_run_id"), _path("task_id")
MAP_INDEX = {
    "name": "map_index",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": -1, "maximum": 2**31 - 1},
    "description": "The instance of a mapped task (0..n-1); -1 names an unmapped task.",
}
MAP_INDEX_QUERY = _query(
    "map_index",
    {"type": "integer", "minimum": -1, "maximum": 2**31 - 1},
    "The instance of a mapped task (Airflow's map_index); -1, the default, is not mapped.",
)
POOL = _path("pool_name")


def _json(schema: str) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": ref(schema)}}}


def _op(
    op_id: str,
    summary: str,
    ok: str,
    *,
    params: list[dict[str, Any]] | None = None,
    body: str | None = None,
    role: str = "Viewer",
    errors: tuple[int, ...] = (),
) -> dict[str, Any]:
    """One operation; 401 and 403 apply to all (no or bad token; role too low)."""
    responses: dict[str, Any] = {"200": {"description": "OK", **_json(ok)}}
    codes = {401, 403, *errors, *((400, 415) if body else ())}
    for code in sorted(codes):
        responses[str(code)] = {"description": _REASONS[code], **_json("Error")}
    operation: dict[str, Any] = {
        "operationId": op_id,
        "summary": summary,
        "description": f"Needs role {role} or above.",
        "parameters": params or [],
        "responses": responses,
    }
    if body:
        operation["requestBody"] = {"required": True, **_json(body)}
    return operation


_REASONS = {
    400: "Malformed input; `field` names the culprit.",
    401: "Not authenticated: send `Authorization: Bearer <token>`.",
    403: "The user's role is too low.",
    404: "Unknown DAG, run, task, try or pool; `field` says which.",
    409: "Conflicts with the current state (e.g. the dag_run_id exists).",
    415: "The body is not `application/json`.",
    503: "The scheduler or the database is unhealthy.",
}
TI_PATH = "/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances"

PATHS: dict[str, dict[str, Any]] = {
    "/dags": {"get": _op("get_dags", "List DAGs", "DAGCollection", params=PAGING, errors=(400,))},
    "/dags/{dag_id}": {
        "get": _op("get_dag", "Get a DAG", "DAG", params=[DAG], errors=(404,)),
        "patch": _op(
            "patch_dag",
            "Pause or unpause a DAG",
            "DAG",
            params=[DAG],
            body="DAGPatch",
            role="Op",
            errors=(404,),
        ),
    },
    "/dags/{dag_id}/dagRuns": {
        "get": _op(
            "get_dag_runs",
            "List a DAG's runs, newest first",
            "DAGRunCollection",
            params=[DAG, *PAGING, _query("state", _RUN_STATES, "Only runs in this state.")],
            errors=(400, 404),
        ),
        "post": _op(
            "post_dag_run",
            "Trigger a run",
            "DAGRun",
            params=[DAG],
            body="DAGRunTrigger",
            role="Op",
            errors=(404, 409),
        ),
    },
    "/dags/{dag_id}/dagRuns/{dag_run_id}": {
        "get": _op(
            "get_dag_run", "Get a run", "DAGRunWithTiming", params=[DAG, RUN], errors=(404,)
        ),
        "patch": _op(
            "patch_dag_run",
            "Mark a run success or failed (through its task instances)",
            "DAGRunMarked",
            params=[DAG, RUN],
            body="DAGRunPatch",
            role="Op",
            errors=(404, 409),
        ),
        "delete": _op(
            "delete_dag_run",
            "Delete a finished run (an unfinished one: 409)",
            "Error",
            params=[DAG, RUN],
            role="Op",
            errors=(404, 409),
        ),
    },
    "/dags/{dag_id}/dagRuns/{dag_run_id}/clear": {
        "post": _op(
            "post_clear_dag_run",
            "Clear a run: run its tasks (or only the failed ones) again",
            "TaskInstanceReferenceCollection",
            params=[DAG, RUN],
            body="DAGRunClear",
            role="Op",
            errors=(404,),
        ),
    },
    "/dags/{dag_id}/clearTaskInstances": {
        "post": _op(
            "post_clear_task_instances",
            "Clear task instances of a run (run again)",
            "TaskInstanceReferenceCollection",
            params=[DAG],
            body="ClearTaskInstances",
            role="Op",
            errors=(404,),
        ),
    },
    TI_PATH: {
        "get": _op(
            "get_task_instances",
            "List a run's task instances",
            "TaskInstanceCollection",
            params=[DAG, RUN],
            errors=(404,),
        ),
    },
    TI_PATH + "/{task_id}": {
        "get": _op(
            "get_task_instance",
            "Get a task instance (a mapped task: 404, name the instance by map index)",
            "TaskInstanceDetail",
            params=[DAG, RUN, TASK],
            errors=(404,),
        ),
        "patch": _op(
            "patch_task_instance",
            "Mark a task instance success or failed",
            "TaskInstance",
            params=[DAG, RUN, TASK],
            body="TaskInstancePatch",
            role="Op",
            errors=(404, 409),
        ),
    },
    TI_PATH + "/{task_id}/tries": {
        "get": _op(
            "get_task_instance_tries",
            "List a task instance's tries, oldest first",
            "TaskTryCollection",
            params=[DAG, RUN, TASK, MAP_INDEX_QUERY],
            errors=(400, 404),
        ),
    },
    TI_PATH + "/{task_id}/listMapped": {
        "get": _op(
            "get_mapped_task_instances",
            "List a mapped task's instances in map_index order",
            "TaskInstanceCollection",
            params=[
                DAG,
                RUN,
                TASK,
                *PAGING,
                {
                    **_query(
                        "state",
                        {"type": "array", "items": _TI_STATES},
                        "Only instances in these states (repeat the parameter for several).",
                    ),
                    "style": "form",
                    "explode": True,
                },
            ],
            errors=(400, 404),
        ),
    },
    TI_PATH + "/{task_id}/{map_index}": {
        "get": _op(
            "get_mapped_task_instance",
            "Get an instance of a mapped task",
            "TaskInstance",
            params=[DAG, RUN, TASK, MAP_INDEX],
            errors=(400, 404),
        ),
        "patch": _op(
            "patch_mapped_task_instance",
            "Mark an instance of a mapped task success or failed",
            "TaskInstance",
            params=[DAG, RUN, TASK, MAP_INDEX],
            body="TaskInstancePatch",
            role="Op",
            errors=(404, 409),
        ),
    },
    TI_PATH + "/{task_id}/logs": {
        "get": _op(
            "get_log",
            "A try's log (the latest try unless try_number is given)",
            "TaskLog",
            params=[
                DAG,
                RUN,
                TASK,
                _query(
                    "try_number", {"type": "integer", "minimum": 1, "maximum": 10**6}, "Which try."
                ),
                _query(
                    "kind",
                    {"type": "string", "enum": ["task", "compensate"]},
                    "The task's own tries (default) or its compensation's (sagas).",
                ),
                MAP_INDEX_QUERY,
            ],
            errors=(400, 404),
        ),
    },
    TI_PATH + "/{task_id}/xcomEntries": {
        "get": _op(
            "get_xcom_entries",
            "A task's XComs: of every instance, or of one with map_index",
            "XComCollection",
            params=[
                DAG,
                RUN,
                TASK,
                _query(
                    "map_index",
                    {"type": "integer", "minimum": -1, "maximum": 2**31 - 1},
                    "Only this instance's XComs (default: every instance's).",
                ),
            ],
            errors=(400, 404),
        ),
    },
    "/importErrors": {
        "get": _op(
            "get_import_errors",
            "DAG files that failed to import",
            "ImportErrorCollection",
            params=PAGING,
            errors=(400,),
        ),
    },
    "/eventLogs": {
        "get": _op(
            "get_event_logs",
            "The event log, newest first",
            "EventLogCollection",
            params=[
                *PAGING,
                *(
                    _query(n, {"type": "string"}, f"Only events with this {n}.")
                    for n in ("dag_id", "run_id", "task_id", "event")
                ),
            ],
            errors=(400,),
        ),
    },
    "/pools": {
        "get": _op(
            "get_pools",
            "List pools with the slots their tasks take",
            "PoolCollection",
            params=PAGING,
            errors=(400,),
        ),
        "post": _op(
            "post_pool", "Create a pool", "Pool", body="PoolCreate", role="Op", errors=(409,)
        ),
    },
    "/pools/{pool_name}": {
        "get": _op("get_pool", "Get a pool", "Pool", params=[POOL], errors=(404,)),
        "patch": _op(
            "patch_pool",
            "Change a pool's slots, description or include_deferred",
            "Pool",
            params=[POOL],
            body="PoolPatch",
            role="Op",
            errors=(404,),
        ),
        "delete": _op(
            "delete_pool",
            "Delete a pool (not default_pool, nor a pool tasks of active DAGs use)",
            "Pool",
            params=[POOL],
            role="Op",
            errors=(404, 409),
        ),
    },
    "/assets": {
        "get": _op(
            "get_assets",
            "List assets with their producing tasks, scheduled DAGs and last event",
            "AssetCollection",
            params=PAGING,
            errors=(400,),
        ),
    },
    "/assets/events": {
        "get": _op(
            "get_asset_events",
            "Asset events, newest first, with the runs each one created",
            "AssetEventCollection",
            params=[
                *PAGING,
                _query(
                    "asset_id",
                    {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
                    "Only the events of this asset.",
                ),
            ],
            errors=(400, 404),
        ),
        "post": _op(
            "post_asset_event",
            "Record an asset event (name the asset by asset_id or uri); its consumers run",
            "AssetEvent",
            body="AssetEventCreate",
            role="Op",
            errors=(404,),
        ),
    },
    "/dags/{dag_id}/dagRuns/{dag_run_id}/upstreamAssetEvents": {
        "get": _op(
            "get_upstream_asset_events",
            "The asset events that triggered a run",
            "AssetEventCollection",
            params=[DAG, RUN],
            errors=(404,),
        ),
    },
    "/breakers": {
        "get": _op(
            "get_breakers",
            "Each connection's circuit breaker, in its effective state",
            "BreakerCollection",
            params=PAGING,
            errors=(400,),
        ),
    },
    "/throttles": {
        "get": _op(
            "get_throttles",
            "Each connection's adaptive throttle: its state and allowed rate",
            "ThrottleCollection",
            params=PAGING,
            errors=(400,),
        ),
    },
    "/health": {
        "get": _op(
            "get_health",
            "Health: the database, the live schedulers, the Celery workers",
            "HealthInfo",
            errors=(503,),
        ),
    },
    "/openapi.json": {
        "get": {
            "operationId": "get_openapi",
            "summary": "This document",
            "responses": {
                "200": {
                    "description": "OK",
                    "content": {"application/json": {"schema": {"type": "object"}}},
                },
                "401": {"description": _REASONS[401], **_json("Error")},
            },
        }
    },
}

# /health answers 503 with the same report, not an Error.
PATHS["/health"]["get"]["responses"]["503"] = {
    "description": _REASONS[503],
    **_json("HealthInfo"),
}

# DELETE /pools/{pool_name} answers 204 with no body.
_DELETE_POOL = PATHS["/pools/{pool_name}"]["delete"]["responses"]
del _DELETE_POOL["200"]
_DELETE_POOL["204"] = {"description": "Deleted"}

# DELETE of a run answers 204 with no body.
_DELETE_RUN = PATHS["/dags/{dag_id}/dagRuns/{dag_run_id}"]["delete"]["responses"]
del _DELETE_RUN["200"]
_DELETE_RUN["204"] = {"description": "Deleted"}

DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "Baton REST API",
        "version": "1",
        "description": "Baton's DAGs, runs, task instances, logs, XComs, import errors and "
        "event log, with Airflow's names. Authenticate with `Authorization: Bearer <token>` "
        '(create a token at /auth/tokens). Errors are `{"error": ..., "field": ...}`.',
    },
    "servers": [{"url": "/api/v1"}],
    "security": [{"bearer": []}],
    "paths": PATHS,
    "components": {
        "schemas": SCHEMAS,
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
    },
}


@api_bp.get("/openapi.json")
@login_required
def get_openapi() -> Response:
    return jsonify(DOCUMENT)
