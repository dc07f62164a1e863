"""The DAG version operations and schemas of the OpenAPI document (``openapi.py`` holds the
rest); added to it when ``webui.rest.dag_versions`` is imported."""

from __future__ import annotations

from typing import Any

from webui.rest.openapi import DAG, PAGING, PATHS, _op
from webui.rest.openapi_schemas import INT, NSTR, SCHEMAS, STR, TIME, _object, _page

VERSION_NUMBER = {
    "name": "version_number",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
}
_SHA256 = {"type": "string", "description": "sha256, hex ('' when the file could not be read)"}

VERSION_SCHEMAS: dict[str, Any] = {
    "DagVersion": _object(
        {
            "id": INT,
            "version_number": INT,
            "dag_id": STR,
            "bundle_name": STR,
            "bundle_version": NSTR,
            "created_at": TIME,
            "fileloc": STR,
            "file_hash": _SHA256,
            "spec_hash": _SHA256,
        }
    ),
    "DagVersionCollection": _page("DagVersion", "dag_versions"),
}

VERSION_PATHS: dict[str, dict[str, Any]] = {
    "/dags/{dag_id}/dagVersions": {
        "get": _op(
            "get_dag_versions",
            "A DAG's versions, oldest first (a new one when its structure or code changed)",
            "DagVersionCollection",
            params=[DAG, *PAGING],
            errors=(400, 404),
        ),
    },
    "/dags/{dag_id}/dagVersions/{version_number}": {
        "get": _op(
            "get_dag_version",
            "One version of a DAG",
            "DagVersion",
            params=[DAG, VERSION_NUMBER],
            errors=(404,),
        ),
    },
}

SCHEMAS.update(VERSION_SCHEMAS)
PATHS.update(VERSION_PATHS)
