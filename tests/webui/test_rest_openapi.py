"""The OpenAPI document and the blueprint describe the same API: every route documented,
every documented operation routed, every $ref resolvable."""

from __future__ import annotations

import json
import re
from typing import Any

from tests.webui.conftest import BatonClient, WebUI
from webui.rest.openapi import DOCUMENT

PREFIX = "/api/v1"


def _routed(webui: WebUI) -> set[tuple[str, str]]:
    operations = set()
    for rule in webui.app.url_map.iter_rules():
        if not rule.endpoint.startswith("api."):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix(PREFIX))
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
            operations.add((method.lower(), path))
    return operations


def _documented() -> set[tuple[str, str]]:
    return {(method, path) for path, ops in DOCUMENT["paths"].items() for method in ops}


def test_every_route_is_documented_and_every_documented_operation_exists(webui: WebUI) -> None:
    routed, documented = _routed(webui), _documented()
    assert routed - documented == set(), "routes missing from webui/rest/openapi.py"
    assert documented - routed == set(), "documented operations without a route"


def test_path_parameters_match_the_path() -> None:
    for path, ops in DOCUMENT["paths"].items():
        in_path = set(re.findall(r"{(\w+)}", path))
        for method, op in ops.items():
            declared = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
            assert declared == in_path, (method, path)


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if "$ref" in node else []
        return found + [r for value in node.values() for r in _refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in _refs(value)]
    return []


def test_every_ref_resolves_and_operation_ids_are_unique() -> None:
    schemas = DOCUMENT["components"]["schemas"]
    for ref in _refs(DOCUMENT):
        assert ref.removeprefix("#/components/schemas/") in schemas, ref
    ids = [op["operationId"] for ops in DOCUMENT["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids))


def test_operation_ids_are_the_view_names(webui: WebUI) -> None:
    """So a reader of the document finds the code: operationId == view function name."""
    endpoints = {r.endpoint.removeprefix("api.") for r in webui.app.url_map.iter_rules()}
    for ops in DOCUMENT["paths"].values():
        for op in ops.values():
            assert op["operationId"] in endpoints


def test_the_document_is_served(viewer_client: BatonClient) -> None:
    response = viewer_client.get(f"{PREFIX}/openapi.json")
    assert response.status_code == 200
    assert response.json == json.loads(json.dumps(DOCUMENT))
    assert response.json["openapi"].startswith("3.")
