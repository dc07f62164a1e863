"""``/dags/{dag_id}/dagVersions``: a DAG's versions (Airflow 3's DAG version API).

Each version has Airflow's fields (``id``, ``version_number``, ``dag_id``, ``bundle_name``,
``bundle_version``, ``created_at``) and Baton's: the DAG file (``fileloc``), the sha256 of
its bytes (``file_hash``) and of the serialized DAG (``spec_hash``).
"""

from __future__ import annotations

from typing import Any

from scheduler.api import dag_versions
from webui.auth import login_required
from webui.auth.identity import settings
from webui.rest import openapi_dag_versions  # noqa: F401  (documents these routes)
from webui.rest.blueprint import api_bp
from webui.rest.inputs import paging
from webui.rest.serialize import listing


@api_bp.get("/dags/<dag_id>/dagVersions")
@login_required
def get_dag_versions(dag_id: str) -> dict[str, Any]:
    found = paging().of(dag_versions.list_dag_versions(settings(), dag_id))
    return listing("dag_versions", found, lambda version: version.as_dict())


@api_bp.get("/dags/<dag_id>/dagVersions/<int:version_number>")
@login_required
def get_dag_version(dag_id: str, version_number: int) -> dict[str, Any]:
    return dag_versions.get_dag_version(settings(), dag_id, version_number).as_dict()
