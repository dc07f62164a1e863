"""``/breakers`` and ``/throttles``: each connection's circuit breaker and adaptive throttle,
read only (resetting a breaker is the web UI's form or ``baton breakers reset``; Airflow has
neither, so the fields are Baton's).

The state is the effective one, as ``baton breakers list`` and the web UI show it: an open
breaker whose cool-down has passed is ``half_open`` (the next call probes the service).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from scheduler.breakers import breaker_rows
from scheduler.throttle import throttle_rows
from webui.auth import login_required
from webui.auth.identity import settings
from webui.rest.blueprint import api_bp
from webui.rest.inputs import paging
from webui.rest.serialize import listing


@api_bp.get("/breakers")
@login_required
def get_breakers() -> dict[str, Any]:
    return _page_of(breaker_rows(settings()), "breakers")


def _json(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in row.items()}


@api_bp.get("/throttles")
@login_required
def get_throttles() -> dict[str, Any]:
    """Each connection's adaptive throttle (Baton's own: Airflow has none)."""
    return _page_of(throttle_rows(settings()), "throttles")


def _page_of(rows: list[dict[str, Any]], key: str) -> dict[str, Any]:
    return listing(key, paging().of(rows), _json)
