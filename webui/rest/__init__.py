"""The REST API, ``/api/v1``: JSON in and out, one blueprint (names follow Airflow's API).

The view modules register their routes on ``api_bp`` when imported here; the OpenAPI
document in ``openapi.py`` describes every one of them.
"""

from __future__ import annotations

from webui.rest import (
    assets,
    backfills,
    breakers,
    dag_versions,
    dags,
    hitl,
    mapped_instances,
    monitoring,
    openapi,
    pools,
    run_actions,
    runs,
    task_instances,
)
from webui.rest.blueprint import api_bp
from webui.rest.errors import install_http_handlers

__all__ = ["api_bp", "install_http_handlers"]

# Imported for their routes.
_VIEW_MODULES = (
    assets,
    backfills,
    dags,
    dag_versions,
    runs,
    run_actions,
    task_instances,
    mapped_instances,
    hitl,
    monitoring,
    pools,
    breakers,
    openapi,
)
