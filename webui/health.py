"""``/health`` (public, for load balancers and uptime checks) and ``/metrics`` (Prometheus
text format; log in, or scrape with ``Authorization: Bearer <token>``)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from scheduler.api.cluster import health_report, is_healthy
from webui.auth import login_required
from webui.auth.identity import settings
from webui.prometheus import BatonCollector
from webui.prometheus_celery import CeleryCollector

health_bp = Blueprint("health", __name__)
_REGISTRY_KEY = "baton_metrics_registry"


def health_response(*, detail: bool = False) -> Response:
    """The health report (Airflow's shape; ``detail`` adds the live schedulers and the Celery
    workers); 200 when the database answers and a scheduler is alive, else 503."""
    report = health_report(settings(), detail=detail)
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
        if settings().executor == "celery":
            registry.register(CeleryCollector(settings()))
        current_app.extensions[_REGISTRY_KEY] = registry
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
