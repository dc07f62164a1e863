"""A run as JSON with Airflow's REST API field names: ``GET /api/v1/dags/{id}/dagRuns/{run}``
returns it (webui/rest/serialize.py) and a deadline callback gets it as
``context["dag_run"]`` (notifications/timing_callback.py), as in Airflow."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from scheduler.masking import redact_value
from scheduler.store.models import DagRunRow


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def dag_run_payload(row: DagRunRow) -> dict[str, Any]:
    return {
        "dag_id": row.dag_id,
        "dag_run_id": row.run_id,
        "run_type": row.run_type,
        "state": row.state,
        "logical_date": iso(row.logical_date),
        "data_interval_start": iso(row.data_interval_start),
        "data_interval_end": iso(row.data_interval_end),
        "queued_at": iso(row.queued_at),
        "start_date": iso(row.start_date),
        "end_date": iso(row.end_date),
        "conf": redact_value(row.conf or {}),
        "triggered_by": row.triggered_by,
    }
