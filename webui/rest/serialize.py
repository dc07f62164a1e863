"""Rows → JSON objects, with Airflow's REST API field names (``dag_run_id``, ``is_paused``).

Values a DAG author or a user typed (conf, params, XCom values, event details, logs) pass
through ``scheduler.masking`` so secrets never leave the server.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from scheduler.masking import redact, redact_value
from scheduler.paging import Page
from scheduler.run_payload import dag_run_payload, iso
from scheduler.store.models import (
    DagRow,
    EventRow,
    ImportErrorRow,
    TaskInstanceRow,
    TaskTryRow,
    XComRow,
)

_iso = iso


Row = TypeVar("Row")


def listing(key: str, page: Page[Row], item: Callable[[Row], Any] | None = None) -> dict[str, Any]:
    """A page of a list as Airflow's REST API answers it: ``{key: [...], "total_entries": n}``
    (``total_entries`` counts every row, not only this page's); ``item`` turns a row into
    its JSON (None: the rows are JSON already)."""
    rows = page.rows if item is None else [item(row) for row in page.rows]
    return {key: list(rows), "total_entries": page.total}


def dag(row: DagRow) -> dict[str, Any]:
    spec = row.spec or {}
    return {
        "dag_id": row.dag_id,
        "description": row.description,
        "fileloc": row.fileloc,
        "is_paused": row.is_paused,
        "is_active": row.is_active,
        "schedule": row.schedule,
        "tags": [{"name": tag} for tag in row.tags or []],
        "max_active_runs": spec.get("max_active_runs"),
        "max_active_tasks": spec.get("max_active_tasks"),
        "catchup": spec.get("catchup"),
        "params": redact_value(spec.get("params") or {}),
        "task_ids": [task["task_id"] for task in spec.get("tasks", [])],
        "last_parsed_time": _iso(row.last_parsed_at),
        "next_dagrun_create_after": _iso(row.next_run_after),
    }


dag_run = dag_run_payload  # shared with the deadline callbacks' context


def task_instance(row: TaskInstanceRow) -> dict[str, Any]:
    return {
        "dag_id": row.dag_id,
        "dag_run_id": row.run_id,
        "task_id": row.task_id,
        "map_index": row.map_index,
        "operator": row.operator,
        "state": row.state,
        "try_number": row.try_number,
        "max_tries": row.max_tries,
        "priority_weight": row.priority_weight,
        "queued_when": _iso(row.queued_at),
        "start_date": _iso(row.start_date),
        "end_date": _iso(row.end_date),
        "duration": row.duration,
        "next_retry_at": _iso(row.next_retry_at),
        "hostname": row.hostname,
        "pid": row.pid,
        "error": redact(row.error) if row.error else None,
    }


def task_try(row: TaskTryRow) -> dict[str, Any]:
    """One try of a task instance (Airflow's TaskInstanceHistory)."""
    return {
        "dag_id": row.dag_id,
        "dag_run_id": row.run_id,
        "task_id": row.task_id,
        "map_index": row.map_index,
        "try_number": row.try_number,
        "state": row.state,
        "queued_when": _iso(row.queued_at),
        "start_date": _iso(row.start_date),
        "end_date": _iso(row.end_date),
        "duration": row.duration,
        "hostname": row.hostname,
        "pid": row.pid,
        "error": redact(row.error) if row.error else None,
    }


def xcom_entry(row: XComRow) -> dict[str, Any]:
    try:
        value = json.loads(row.value)
    except ValueError:
        value = row.value  # stored by hand, not by a worker: show it as text
    return {
        "dag_id": row.dag_id,
        "dag_run_id": row.run_id,
        "task_id": row.task_id,
        "map_index": row.map_index,
        "key": row.key,
        "timestamp": _iso(row.created_at),
        "value": redact_value(value, row.key),
    }


def event_log(row: EventRow) -> dict[str, Any]:
    return {
        "event_log_id": row.id,
        "when": _iso(row.ts),
        "event": row.event,
        "dag_id": row.dag_id,
        "run_id": row.run_id,
        "task_id": row.task_id,
        "map_index": row.map_index,
        "try_number": row.try_number,
        "old_state": row.old_state,
        "new_state": row.new_state,
        "owner": row.source,
        "extra": redact(row.detail) if row.detail else None,
    }


def import_error(row: ImportErrorRow) -> dict[str, Any]:
    return {
        "import_error_id": row.id,
        "timestamp": _iso(row.timestamp),
        "filename": row.filename,
        "lineno": row.lineno,
        "stack_trace": redact(row.message),
    }
