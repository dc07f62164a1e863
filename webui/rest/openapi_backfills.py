"""The backfill operations and schemas of the OpenAPI document (``openapi.py`` holds the
rest); added to it when ``webui.rest.backfills`` is imported."""

from __future__ import annotations

from typing import Any

from webui.rest.openapi import PAGING, PATHS, _op, _query
from webui.rest.openapi_schemas import BOOL, INT, NSTR, NTIME, SCHEMAS, STR, TIME, _object, _page

BACKFILL_ID = {
    "name": "backfill_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 0, "maximum": 2**31 - 1},
}
_DATE = {"type": "string", "format": "date-time"}
_COUNT = {"type": "integer", "minimum": 0}
_BEHAVIOR = {"type": "string", "enum": ["none", "failed", "completed"]}

BACKFILL_SCHEMAS: dict[str, Any] = {
    "BackfillCreate": _object(
        {
            "dag_id": STR,
            "from_date": _DATE,
            "to_date": _DATE,
            "run_backwards": BOOL,
            "dag_run_conf": {"type": ["object", "null"]},
            "reprocess_behavior": _BEHAVIOR,
            "max_active_runs": {"type": "integer", "minimum": 1, "maximum": 1000},
        },
        required=["dag_id", "from_date", "to_date"],
    ),
    "BackfillProgress": _object(
        {
            name: _COUNT
            for name in (
                "total",
                "success",
                "failed",
                "running",
                "queued",
                "skipped",
                "cancelled",
                "pending",
                "done",
                "remaining",
            )
        }
    ),
    "Backfill": _object(
        {
            "id": INT,
            "dag_id": STR,
            "from_date": TIME,
            "to_date": TIME,
            "dag_run_conf": {"type": "object"},
            "is_paused": BOOL,
            "reprocess_behavior": _BEHAVIOR,
            "max_active_runs": INT,
            "created_at": TIME,
            "completed_at": NTIME,
            "updated_at": TIME,
            "run_backwards": BOOL,
            "cancelled_at": NTIME,
            "created_by": NSTR,
            "state": {
                "type": "string",
                "enum": ["running", "paused", "cancelling", "cancelled", "completed"],
            },
            "progress": {"$ref": "#/components/schemas/BackfillProgress"},
        }
    ),
    "BackfillCollection": _page("Backfill", "backfills"),
    "DryRunBackfill": _object(
        {
            "dag_id": STR,
            "logical_date": TIME,
            "data_interval_start": TIME,
            "data_interval_end": TIME,
            "existing_run_id": NSTR,
            "existing_state": NSTR,
            "action": {
                "type": "string",
                "enum": ["create", "clear", "in_flight", "already_exists"],
            },
        }
    ),
    "DryRunBackfillCollection": _page("DryRunBackfill", "backfills"),
}

_ACTIVE = _query("active", {"type": "string", "enum": ["true", "false"]}, "Only (not) completed.")
_DAG_QUERY = _query("dag_id", {"type": "string"}, "Only this DAG's backfills.")


def _put(op_id: str, summary: str) -> dict[str, Any]:
    return {
        "put": _op(op_id, summary, "Backfill", params=[BACKFILL_ID], role="Op", errors=(404, 409))
    }


BACKFILL_PATHS: dict[str, dict[str, Any]] = {
    "/backfills": {
        "get": _op(
            "get_backfills",
            "List backfills, newest first, with their progress",
            "BackfillCollection",
            params=[*PAGING, _DAG_QUERY, _ACTIVE],
            errors=(400, 404),
        ),
        "post": _op(
            "post_backfill",
            "Create a backfill (the scheduler runs it)",
            "Backfill",
            body="BackfillCreate",
            role="Op",
            errors=(404, 409),
        ),
    },
    "/backfills/dry_run": {
        "post": _op(
            "post_backfill_dry_run",
            "The logical dates a backfill would cover and what it would do with each",
            "DryRunBackfillCollection",
            body="BackfillCreate",
            role="Op",
            errors=(404,),
        ),
    },
    "/backfills/{backfill_id}": {
        "get": _op(
            "get_backfill", "Get a backfill", "Backfill", params=[BACKFILL_ID], errors=(404,)
        )
    },
    "/backfills/{backfill_id}/pause": _put("pause_backfill", "Start no new runs for now"),
    "/backfills/{backfill_id}/unpause": _put("unpause_backfill", "Start runs again"),
    "/backfills/{backfill_id}/cancel": _put(
        "cancel_backfill", "Cancel: queued runs fail, running runs finish, no more start"
    ),
}

SCHEMAS.update(BACKFILL_SCHEMAS)
PATHS.update(BACKFILL_PATHS)
