"""The cluster page: what ``/api/v1/health`` reports, for people.

The database, every live scheduler (host, pid, last heartbeat) and, with the Celery
executor, the workers that answered ``inspect active`` (the tries each runs) and the depth of
each Celery queue on the broker.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from scheduler.api.celery_cluster import queue_depths, task_queues
from scheduler.api.cluster import health_report, is_healthy
from scheduler.settings import mask_url_password
from webui.auth import role_required
from webui.views.common import settings

bp = Blueprint("cluster", __name__)


@bp.route("/cluster")
@role_required("Viewer")
def cluster() -> str:
    report = health_report(settings(), detail=True)
    return render_template(
        "cluster.html",
        report=report,
        healthy=is_healthy(report),
        queues=_queues() if "celery" in report else None,
        threshold=settings().scheduler_health_threshold,
    )


def _queues() -> dict[str, Any]:
    """Queue depths, or the broker's error in their place (the page still renders)."""
    try:
        return {"depths": queue_depths(settings(), task_queues(settings()))}
    except Exception as exc:  # the broker is down: shown on the page, as the health says
        return {"error": f"{type(exc).__name__}: {mask_url_password(str(exc))}"[:300]}
