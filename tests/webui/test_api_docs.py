"""Swagger UI at /api/v1/docs: the page, its assets from the swagger-ui-py package and
the OpenAPI document it reads."""

from __future__ import annotations

import re

from tests.webui.conftest import BatonClient

DOCS = "/api/v1/docs/"


def test_the_page_points_at_the_served_openapi_document(viewer_client: BatonClient) -> None:
    page = viewer_client.get(DOCS)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    url = re.search(r'data-openapi-url="([^"]+)"', html)
    assert url is not None and url.group(1) == "/api/v1/openapi.json"
    document = viewer_client.get(url.group(1))
    assert document.status_code == 200 and document.json["openapi"].startswith("3.")
    assert 'data-csrf="' in html  # "Try it out" posts need it
    assert "cdn" not in html.lower() and "unpkg" not in html.lower()


def test_every_script_and_stylesheet_of_the_page_answers(viewer_client: BatonClient) -> None:
    html = viewer_client.get(DOCS).get_data(as_text=True)
    assets = re.findall(r'(?:src|href)="(/[^"]+\.(?:js|css))"', html)
    assert "/api/v1/docs/assets/swagger-ui-bundle.js" in assets
    assert "/api/v1/docs/assets/swagger-ui.css" in assets
    assert "/static/api_docs.js" in assets
    for asset in assets:
        response = viewer_client.get(asset)
        assert response.status_code == 200, asset
        assert len(response.get_data()) > 100, asset
    bundle = viewer_client.get("/api/v1/docs/assets/swagger-ui-bundle.js").get_data(as_text=True)
    assert "SwaggerUIBundle" in bundle


def test_logged_out_is_refused(anon_client: BatonClient) -> None:
    assert anon_client.get(DOCS).status_code == 401
    assert anon_client.get("/api/v1/docs/assets/swagger-ui-bundle.js").status_code == 401


def test_the_user_menu_links_to_it(viewer_client: BatonClient) -> None:
    html = viewer_client.get("/dags").get_data(as_text=True)
    assert f'href="{DOCS}" data-testid="api-docs-link"' in html
