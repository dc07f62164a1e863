"""Import errors, the event log and health: what an operator checks when something is off."""

from __future__ import annotations

from typing import Any

from flask import Response, request

from scheduler import api
from webui.auth import login_required
from webui.auth.identity import settings
from webui.health import health_response
from webui.rest import serialize
from webui.rest.blueprint import api_bp
from webui.rest.inputs import paging

EVENT_FILTERS = ("dag_id", "run_id", "task_id", "event")


@api_bp.get("/importErrors")
@login_required
def get_import_errors() -> dict[str, Any]:
    page = paging()
    found = api.import_errors_page(settings(), limit=page.limit, offset=page.offset)
    return serialize.listing("import_errors", found, serialize.import_error)


@api_bp.get("/eventLogs")
@login_required
def get_event_logs() -> dict[str, Any]:
    """Newest first; filter by ``dag_id``, ``run_id``, ``task_id`` and ``event``."""
    page = paging()
    filters = {name: request.args.get(name) for name in EVENT_FILTERS}
    found = api.events_page(settings(), filters=filters, limit=page.limit, offset=page.offset)
    return serialize.listing("event_logs", found, serialize.event_log)


@api_bp.get("/health")
@login_required
def get_health() -> Response:
    """The public ``/health``'s body plus the live schedulers and (Celery) the workers;
    503 when the database or every scheduler is down."""
    return health_response(detail=True)
