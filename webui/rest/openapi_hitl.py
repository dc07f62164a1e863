"""The human-in-the-loop operations and schemas of the OpenAPI document (Airflow 3.1's
``HITLDetail`` shapes); added to it when ``webui.rest.hitl`` is imported."""

from __future__ import annotations

from typing import Any

from webui.rest.openapi import DAG, MAP_INDEX, PAGING, PATHS, RUN, TASK, _op, _query
from webui.rest.openapi_schemas import BOOL, INT, NSTR, NTIME, SCHEMAS, STR, TIME, _object, ref

_STRINGS = {"type": "array", "items": STR}
_OBJECT = {"type": "object"}
_USER = ref("HITLUser")

HITL_SCHEMAS: dict[str, Any] = {
    "HITLUser": _object({"id": STR, "name": STR}),
    "HITLTaskInstance": _object(
        {
            "dag_id": STR,
            "dag_run_id": STR,
            "task_id": STR,
            "map_index": INT,
            "try_number": INT,
            "state": SCHEMAS["TaskInstance"]["properties"]["state"],
        }
    ),
    "HITLDetail": _object(
        {
            "task_instance": ref("HITLTaskInstance"),
            "options": _STRINGS,
            "subject": STR,
            "body": NSTR,
            "defaults": {"type": ["array", "null"], "items": STR},
            "multiple": BOOL,
            "params": _OBJECT,
            "assigned_users": {"type": "array", "items": _USER},
            "created_at": TIME,
            "responded_by_user": {"oneOf": [_USER, {"type": "null"}]},
            "responded_at": NTIME,
            "chosen_options": {"type": ["array", "null"], "items": STR},
            "params_input": _OBJECT,
            "response_received": BOOL,
        }
    ),
    "HITLDetailCollection": _object(
        {"hitl_details": {"type": "array", "items": ref("HITLDetail")}, "total_entries": INT}
    ),
    "UpdateHITLDetailPayload": _object(
        {"chosen_options": {**_STRINGS, "minItems": 1}, "params_input": _OBJECT},
        required=["chosen_options"],
    ),
    "HITLDetailResponse": _object(
        {
            "responded_by": _USER,
            "responded_at": TIME,
            "chosen_options": _STRINGS,
            "params_input": _OBJECT,
        }
    ),
}

_RECEIVED = _query(
    "response_received",
    {"type": "boolean"},
    "false: the questions still waiting for an answer; true: the answered ones.",
)
_DETAIL = "/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/{map_index}/hitlDetails"

HITL_PATHS: dict[str, dict[str, Any]] = {
    "/dags/{dag_id}/dagRuns/{dag_run_id}/hitlDetails": {
        "get": _op(
            "get_hitl_details",
            "Human-in-the-loop questions, newest first (`~` as dag_id or dag_run_id: any)",
            "HITLDetailCollection",
            params=[DAG, RUN, _RECEIVED, *PAGING],
            errors=(400,),
        ),
    },
    _DETAIL: {
        "get": _op(
            "get_hitl_detail",
            "The human-in-the-loop question of a task instance, with its answer if any",
            "HITLDetail",
            params=[DAG, RUN, TASK, MAP_INDEX],
            errors=(400, 404),
        ),
        "patch": _op(
            "update_hitl_detail",
            "Answer a task instance's question (once); the task resumes at once",
            "HITLDetailResponse",
            params=[DAG, RUN, TASK, MAP_INDEX],
            body="UpdateHITLDetailPayload",
            role="Op",
            errors=(404, 409),
        ),
    },
}

SCHEMAS.update(HITL_SCHEMAS)
PATHS.update(HITL_PATHS)
