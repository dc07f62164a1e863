"""Styled error pages (the layout and navigation, true messages) and the documents the
menus link to (/docs/...)."""

from __future__ import annotations

import time

from tests.webui.conftest import BatonClient, WebUI
from webui import create_app
from webui.auth.identity import SESSION_LOGIN_AT_KEY, SESSION_USER_KEY


def test_unknown_page_is_a_styled_404_naming_the_path(viewer_client: BatonClient) -> None:
    page = viewer_client.get("/no/such/page")
    assert page.status_code == 404
    html = page.get_data(as_text=True)
    assert 'class="mainnav"' in html
    assert "There is no page at /no/such/page." in html


def test_403_says_the_role_needed_and_points_to_no_editor_for_non_admins(
    viewer_client: BatonClient,
) -> None:
    page = viewer_client.get("/auth/users")
    assert page.status_code == 403
    html = page.get_data(as_text=True)
    assert "has role Viewer; this needs Admin or above" in html
    assert 'class="mainnav"' in html
    assert "Roles are changed by an Admin, on the users page." in html
    assert 'href="/auth/users"' not in html  # a Viewer gets no link it cannot open


def test_403_links_admins_to_the_users_page(op_client: BatonClient) -> None:
    html = op_client.get("/auth/users").get_data(as_text=True)
    assert "Roles are changed by an Admin" in html


def test_405_is_styled(viewer_client: BatonClient) -> None:
    page = viewer_client.delete("/dags")
    assert page.status_code in (403, 405)  # CSRF is checked before routing's 405
    assert 'class="mainnav"' in page.get_data(as_text=True)


def test_api_paths_keep_json_errors(viewer_client: BatonClient) -> None:
    response = viewer_client.get("/api/v1/no-such-endpoint")
    assert response.status_code == 404
    assert response.is_json


def test_the_writing_plugins_document_is_served(viewer_client: BatonClient) -> None:
    page = viewer_client.get("/docs/plugins.md")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<h1>" in html and "plugin" in html.lower()
    assert "<table>" in viewer_client.get("/docs/architecture.md").get_data(as_text=True)


def test_docs_serve_only_the_docs_folder(viewer_client: BatonClient) -> None:
    for path in ("/docs/../README.md", "/docs/..%2Fpyproject.toml", "/docs/nope.md"):
        assert viewer_client.get(path).status_code == 404, path
    assert "webui.md" in viewer_client.get("/docs/").get_data(as_text=True)


def test_docs_need_a_login(anon_client: BatonClient) -> None:
    assert anon_client.get("/docs/plugins.md").status_code == 302


def test_doc_links_outside_the_docs_become_text(viewer_client: BatonClient) -> None:
    html = viewer_client.get("/docs/plugins.md").get_data(as_text=True)
    assert 'href="../plugins/example_greeter/"' not in html
    assert 'title="in the source tree: ../plugins/example_greeter/"' in html
    assert 'href="scaling.md"' in viewer_client.get("/docs/architecture.md").get_data(as_text=True)


def test_a_server_error_is_a_styled_500_that_hides_the_exception(webui: WebUI) -> None:
    app = create_app({"BATON_SETTINGS": webui.settings, "SECRET_KEY": "errors-test"})

    def boom() -> str:
        raise RuntimeError("secret-internal-detail")

    app.add_url_rule("/boom", "boom", boom)
    client = app.test_client()
    with client.session_transaction() as session:
        session[SESSION_USER_KEY] = webui.seed.user_ids["Viewer"]
        session[SESSION_LOGIN_AT_KEY] = time.time()
    page = client.get("/boom")
    assert page.status_code == 500
    html = page.get_data(as_text=True)
    assert "The server failed to answer this request" in html and 'class="mainnav"' in html
    assert "secret-internal-detail" not in html and "Traceback" not in html
