"""Component schemas of the OpenAPI document: the JSON objects the API returns and takes.

Kept next to serialize.py: a field added there must be added here (tests/webui/test_rest_openapi
checks real responses against these schemas).
"""

from __future__ import annotations

from typing import Any

from scheduler.states import RunState, TaskState

STR = {"type": "string"}
NSTR = {"type": ["string", "null"]}
NTIME = {"type": ["string", "null"], "format": "date-time"}
TIME = {"type": "string", "format": "date-time"}
INT = {"type": "integer"}
NINT = {"type": ["integer", "null"]}
BOOL = {"type": "boolean"}
ANY: dict[str, Any] = {}


def _object(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
        "additionalProperties": False,
    }


def _page(item: str, key: str) -> dict[str, Any]:
    return _object({key: {"type": "array", "items": ref(item)}, "total_entries": INT})


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


_RUN_FIELDS: dict[str, Any] = {
    "dag_id": STR,
    "dag_run_id": STR,
    "run_type": STR,
    "state": {"type": "string", "enum": [s.value for s in RunState]},
    "logical_date": TIME,
    "data_interval_start": TIME,
    "data_interval_end": TIME,
    "queued_at": TIME,
    "start_date": NTIME,
    "end_date": NTIME,
    "conf": {"type": "object"},
    "triggered_by": NSTR,
}

POOL_BODY = {
    # Non-blank: at least one character that is not whitespace.
    "name": {"type": "string", "minLength": 1, "maxLength": 256, "pattern": "\\S"},
    "slots": {"type": "integer", "minimum": -1, "maximum": 2**31 - 1},
    "description": NSTR,
    "include_deferred": BOOL,
    "rate_limit": NSTR,  # "10/s", "100/m", "5/h"; null: no rate limit
}


SCHEMAS: dict[str, Any] = {
    "Error": _object({"error": STR, "field": STR}, required=["error"]),
    "Tag": _object({"name": STR}),
    "DAG": _object(
        {
            "dag_id": STR,
            "description": NSTR,
            "fileloc": STR,
            "is_paused": BOOL,
            "is_active": BOOL,
            "schedule": {"type": ["string", "number", "null"]},
            "tags": {"type": "array", "items": ref("Tag")},
            "max_active_runs": NINT,
            "max_active_tasks": NINT,
            "catchup": {"type": ["boolean", "null"]},
            "params": {"type": "object"},
            "task_ids": {"type": "array", "items": STR},
            "last_parsed_time": NTIME,
            "next_dagrun_create_after": NTIME,
        }
    ),
    "DAGCollection": _page("DAG", "dags"),
    "DAGPatch": _object({"is_paused": BOOL}),
    "DAGRun": _object(_RUN_FIELDS),
    "DAGRunCollection": _page("DAGRun", "dag_runs"),
    # GET of one run: Airflow's fields plus Baton's timing (scheduler/api/run_timing.py).
    "DAGRunWithTiming": _object(
        {
            **_RUN_FIELDS,
            "baton_predicted_finish": {
                **NTIME,
                "description": "Baton: when the running run should finish, from its tasks' "
                "p50 durations along its critical path; null when it is not running.",
            },
            "baton_predicted_remaining_s": {"type": ["number", "null"]},
            "baton_critical_path": {
                "type": "array",
                "items": STR,
                "description": "Baton: the longest remaining path of tasks by p50 durations.",
            },
            "baton_unpredicted_tasks": {
                "type": "array",
                "items": STR,
                "description": "Baton: unfinished tasks without a successful try yet "
                "(counted as taking no time).",
            },
            "baton_deadlines": {
                "type": "array",
                "items": _object(
                    {
                        "name": NSTR,
                        "reference": STR,
                        "deadline_time": TIME,
                        "state": {"type": "string", "enum": ["pending", "missed", "met"]},
                        "callback_state": NSTR,
                    }
                ),
            },
        }
    ),
    "DAGRunTrigger": _object(
        {
            "dag_run_id": {"type": "string", "minLength": 1, "maxLength": 250},
            "logical_date": TIME,
            "conf": {
                "type": "object",
                "description": "Overrides the DAG's params; each value is checked against its "
                "param's JSON Schema first (a refusal is 400 with field `conf.<param>`).",
            },
        },
        required=[],
    ),
    "TaskInstance": _object(
        {
            "dag_id": STR,
            "dag_run_id": STR,
            "task_id": STR,
            "map_index": {
                "type": "integer",
                "minimum": -1,
                "description": "-1: not mapped; 0..n-1: an instance of a mapped task",
            },
            "operator": NSTR,
            "state": {"type": "string", "enum": [s.value for s in TaskState]},
            "try_number": INT,
            "max_tries": INT,
            "priority_weight": INT,
            "queued_when": NTIME,
            "start_date": NTIME,
            "end_date": NTIME,
            "duration": {"type": ["number", "null"]},
            "next_retry_at": NTIME,
            "hostname": NSTR,
            "pid": NINT,
            "error": NSTR,
        }
    ),
    "TaskInstanceCollection": _page("TaskInstance", "task_instances"),
    "TaskInstancePatch": _object({"new_state": {"type": "string", "enum": ["success", "failed"]}}),
    "ClearTaskInstances": _object(
        {
            "dag_run_id": {"type": "string", "minLength": 1},
            "task_ids": {
                "type": "array",
                "description": "Task ids (every instance of a mapped task) or "
                "[task_id, map_index] pairs (one instance), as in Airflow.",
                "items": {
                    "oneOf": [
                        {"type": "string", "minLength": 1},
                        {
                            "type": "array",
                            "prefixItems": [
                                {"type": "string", "minLength": 1},
                                {"type": "integer", "minimum": 0, "maximum": 2**31 - 1},
                            ],
                            "minItems": 2,
                            "maxItems": 2,
                        },
                    ]
                },
                "minItems": 1,
            },
            "include_downstream": BOOL,
            "include_upstream": BOOL,
            "recursive": {
                "type": "boolean",
                "description": "Follow ExternalTaskMarkers into other DAGs (default true).",
            },
        },
        required=["dag_run_id", "task_ids"],
    ),
    "TaskTry": _object(
        {
            "dag_id": STR,
            "dag_run_id": STR,
            "task_id": STR,
            "map_index": INT,
            "try_number": INT,
            "state": NSTR,
            "queued_when": NTIME,
            "start_date": NTIME,
            "end_date": NTIME,
            "duration": {"type": ["number", "null"]},
            "hostname": NSTR,
            "pid": NINT,
            "error": NSTR,
        }
    ),
    "TaskTryCollection": _page("TaskTry", "task_instances"),
    "DAGRunPatch": _object({"state": {"type": "string", "enum": ["success", "failed"]}}),
    "DAGRunClear": _object({"only_failed": BOOL}, required=[]),
    "DAGRunMarked": _object(
        {
            "dag_run_id": STR,
            "state": {"type": "string", "enum": ["success", "failed"]},
            "task_instances": {"type": "array", "items": STR},
        }
    ),
    "TaskInstanceReference": _object({"dag_id": STR, "dag_run_id": STR, "task_id": STR}),
    "TaskInstanceReferenceCollection": _object(
        {"task_instances": {"type": "array", "items": ref("TaskInstanceReference")}}
    ),
    "TaskLog": _object(
        {
            "try_number": INT,
            "kind": {"type": "string", "enum": ["task", "compensate"]},
            "content": STR,
            "truncated": BOOL,
        }
    ),
    "XComEntry": _object(
        {
            "dag_id": STR,
            "dag_run_id": STR,
            "task_id": STR,
            "map_index": {"type": "integer", "minimum": -1},
            "key": STR,
            "timestamp": TIME,
            "value": ANY,
        }
    ),
    "XComCollection": _page("XComEntry", "xcom_entries"),
    "ImportError": _object(
        {
            "import_error_id": INT,
            "timestamp": TIME,
            "filename": STR,
            "lineno": NINT,
            "stack_trace": STR,
        }
    ),
    "ImportErrorCollection": _page("ImportError", "import_errors"),
    "EventLog": _object(
        {
            "event_log_id": INT,
            "when": TIME,
            "event": STR,
            "dag_id": NSTR,
            "run_id": NSTR,
            "task_id": NSTR,
            "map_index": NINT,
            "try_number": NINT,
            "old_state": NSTR,
            "new_state": NSTR,
            "owner": STR,
            "extra": NSTR,
        }
    ),
    "EventLogCollection": _page("EventLog", "event_logs"),
    "Pool": _object(
        {
            "name": STR,
            "slots": {"type": "integer", "minimum": -1, "description": "-1: unlimited"},
            "occupied_slots": INT,
            "running_slots": INT,
            "queued_slots": INT,
            "scheduled_slots": INT,
            "deferred_slots": INT,
            "open_slots": {"type": "integer", "description": "-1 when the pool is unlimited"},
            "description": NSTR,
            "include_deferred": BOOL,
            "rate_limit": NSTR,
        }
    ),
    "PoolCollection": _page("Pool", "pools"),
    "Breaker": _object(
        {
            "conn_id": STR,
            "state": {
                "type": "string",
                "enum": ["closed", "open", "half_open"],
                "description": "Effective: half_open once the cool-down has passed.",
            },
            "failures": {"type": "integer", "description": "Consecutive outages counted"},
            "window_calls": INT,
            "window_failures": INT,
            "opened_at": NTIME,
            "half_open_at": NTIME,
            "probe_owner": NSTR,
            "last_error": NSTR,
        }
    ),
    "BreakerCollection": _page("Breaker", "breakers"),
    "Throttle": _object(
        {
            "conn_id": STR,
            "state": {
                "type": "string",
                "enum": ["full", "throttled", "paused"],
                "description": "paused: waiting out a Retry-After; throttled: below max_rate.",
            },
            "rate": {"type": "number", "description": "Calls per second allowed now"},
            "max_rate": {"type": "number", "description": "The rate it recovers to"},
            "ceiling": {
                "type": ["number", "null"],
                "description": "Calls/s the service accepted at its last push-back",
            },
            "paused_until": NTIME,
            "calls": INT,
            "overloads": {"type": "integer", "description": "Push-backs counted"},
            "latency_s": {"type": ["number", "null"], "description": "Smoothed latency"},
            "last_signal": NSTR,
            "last_signal_at": NTIME,
        }
    ),
    "ThrottleCollection": _page("Throttle", "throttles"),
    # assets (webui/rest/assets.py)
    "Asset": _object(
        {
            "id": INT,
            "uri": STR,
            "name": STR,
            "group": STR,
            "extra": {"type": "object"},
            "created_at": TIME,
            "updated_at": TIME,
            "producing_tasks": {
                "type": "array",
                "items": _object({"dag_id": STR, "task_id": STR}),
            },
            "scheduled_dags": {"type": "array", "items": _object({"dag_id": STR})},
            "watchers": {
                "type": "array",
                "items": _object({"name": STR, "dag_id": STR, "trigger_id": NINT}),
            },
            "last_asset_event": {
                "anyOf": [{"type": "null"}, _object({"timestamp": TIME})],
            },
        }
    ),
    "AssetCollection": _page("Asset", "assets"),
    "AssetEvent": _object(
        {
            "id": INT,
            "asset_id": INT,
            "uri": STR,
            "name": STR,
            "extra": {"type": "object"},
            "source_dag_id": NSTR,
            "source_run_id": NSTR,
            "source_task_id": NSTR,
            "source_map_index": INT,
            "source_alias": NSTR,
            "external_source": NSTR,
            "error": NSTR,
            "created_dagruns": {
                "type": "array",
                "items": _object({"dag_id": STR, "dag_run_id": STR}),
            },
            "timestamp": TIME,
        }
    ),
    "AssetEventCollection": _page("AssetEvent", "asset_events"),
    "AssetEventCreate": _object(
        {
            "asset_id": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
            "uri": {"type": "string", "minLength": 1},
            "extra": {"type": "object"},
        },
        required=[],
    ),
    "PoolCreate": _object(POOL_BODY, required=["name", "slots"]),
    "PoolPatch": _object(POOL_BODY, required=[]),
    "HealthInfo": _object(
        {
            "metadatabase": _object(
                {"status": {"type": "string", "enum": ["healthy", "unhealthy"]}, "error": STR},
                required=["status"],
            ),
            "scheduler": _object(
                {
                    "status": {"type": "string", "enum": ["healthy", "unhealthy"]},
                    "latest_scheduler_heartbeat": NTIME,
                }
            ),
            "schedulers": {
                "type": "array",
                "description": "The live scheduler jobs, newest heartbeat first.",
                "items": _object(
                    {
                        "id": INT,
                        "hostname": STR,
                        "pid": INT,
                        "started_at": TIME,
                        "latest_heartbeat": TIME,
                        "heartbeat_age_s": {"type": "number"},
                    }
                ),
            },
            "celery": _object(
                {
                    "status": {"type": "string", "enum": ["healthy", "unhealthy"]},
                    "broker": STR,
                    "error": STR,
                    "workers": {
                        "type": "array",
                        "items": _object(
                            {
                                "hostname": STR,
                                "running_tries": INT,
                                "active_tries": {"type": "array", "items": STR},
                            }
                        ),
                    },
                },
                required=["status", "broker", "workers"],
            ),
        },
        required=["metadatabase", "scheduler", "schedulers"],
    ),
}


# GET of one task instance adds the rendered template fields (Airflow's TaskInstance has them).
SCHEMAS["TaskInstanceDetail"] = _object(
    {
        **SCHEMAS["TaskInstance"]["properties"],
        "rendered_fields": {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "description": "The latest try's template fields as rendered (secrets masked).",
        },
    }
)
