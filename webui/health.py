"""``/health`` (public, for load balancers and uptime checks) and ``/metrics`` (Prometheus
text format; log in, or scrape with ``Authorization: Bearer <token>``)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from scheduler import api
from webui.auth import login_required
from webui.auth.identity import settings
from webui.metrics import BatonCollector

health_bp = Blueprint("health", __name__)
_REGISTRY_KEY = "baton_metrics_registry"


def is_healthy(report: dict[str, Any]) -> bool:
    return all(part["status"] == "healthy" for part in report.values())


def health_response() -> Response:
    """The health report; 200 when the scheduler and the database are healthy, else 503."""
    report = api.scheduler_health(settings())
    response = jsonify(report)
    response.status_code = 200 if is_healthy(report) else 503
    return response


@health_bp.get("/health")
def health() -> Response:
    return health_response()


@health_bp.get("/metrics")
@login_required
def metrics() -> Response:
    registry = current_app.extensions.get(_REGISTRY_KEY)
    if registry is None:
        registry = CollectorRegistry(auto_describe=False)
        registry.register(BatonCollector(settings()))
        current_app.extensions[_REGISTRY_KEY] = registry
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
