"""The connections pages: create, edit (secrets left blank or *** stay as stored), test,
delete; Op and above; every change in the event log; no response ever carries the password
or an extra value."""

from __future__ import annotations

import pytest

from scheduler import api
from scheduler.api import connections as conn_api
from scheduler.connections import Connection
from tests.webui.conftest import BatonClient, WebUI

PASSWORD, TOKEN = "s3cr3t-pass-word", "tok-9f8e7d6c5b4a"


@pytest.fixture
def stored(webui: WebUI) -> Connection:
    conn = Connection(
        conn_id="my_api",
        conn_type="http",
        host="api.example.com",
        login="bot",
        password=PASSWORD,
        extra={"api_token": TOKEN, "timeout": 10},
    )
    conn_api.create_connection(webui.settings, conn, source="test")
    return conn


def _no_secret(html: str) -> None:
    assert PASSWORD not in html and TOKEN not in html


def _events(webui: WebUI, event: str) -> list:
    rows = api.events_page(webui.settings, filters={"event": event}, limit=20, offset=0).rows
    return rows


def test_list_shows_fields_but_no_secret(op_client: BatonClient, stored: Connection) -> None:
    html = op_client.get("/connections/").get_data(as_text=True)
    assert "my_api" in html and "api.example.com" in html and "api_token, timeout" in html
    _no_secret(html)


def test_edit_form_never_sends_the_secrets_back(op_client: BatonClient, stored: Connection) -> None:
    html = op_client.get("/connections/my_api/edit").get_data(as_text=True)
    _no_secret(html)
    assert "A password is stored; leave this blank to keep it." in html
    assert "&#34;api_token&#34;: &#34;***&#34;" in html


def test_saving_with_blank_password_and_masked_extra_keeps_them(
    webui: WebUI, op_client: BatonClient, stored: Connection
) -> None:
    form = {
        "conn_type": "http",
        "host": "api2.example.com",
        "login": "bot",
        "password": "",
        "extra": '{"api_token": "***", "timeout": 30}',
    }
    response = op_client.submit("/connections/my_api/edit", form)
    assert response.status_code == 302
    saved = conn_api.get_stored_connection(webui.settings, "my_api")
    assert saved.host == "api2.example.com" and saved.password == PASSWORD
    assert saved.extra == {"api_token": TOKEN, "timeout": 30}
    event = _events(webui, "connection_update")[0]
    assert event.source == "webui:operator" and "api2.example.com" in event.detail
    _no_secret(event.detail)


def test_a_typed_password_replaces_and_remove_clears_it(
    webui: WebUI, op_client: BatonClient, stored: Connection
) -> None:
    base = {"conn_type": "http", "extra": ""}
    op_client.submit("/connections/my_api/edit", {**base, "password": "new-password-1"})
    assert conn_api.get_stored_connection(webui.settings, "my_api").password == "new-password-1"
    op_client.submit("/connections/my_api/edit", {**base, "remove_password": "on"})
    saved = conn_api.get_stored_connection(webui.settings, "my_api")
    assert saved.password is None and saved.extra == {}


def test_create_validates_and_records_the_event(webui: WebUI, op_client: BatonClient) -> None:
    bad = op_client.submit(
        "/connections/",
        {"conn_id": "db", "conn_type": "postgres", "password": PASSWORD, "extra": "{oops"},
    )
    assert bad.status_code == 400
    html = bad.get_data(as_text=True)
    assert "the extra is not valid JSON" in html
    _no_secret(html)  # a refused form does not echo the typed password either
    ok = op_client.submit(
        "/connections/",
        {"conn_id": "db", "conn_type": "postgres", "host": "db.local", "port": "5432"},
    )
    assert ok.status_code == 302
    assert conn_api.get_stored_connection(webui.settings, "db").port == 5432
    assert "connection 'db'" in _events(webui, "connection_create")[0].detail
    dup = op_client.submit("/connections/", {"conn_id": "db", "conn_type": "postgres"})
    assert dup.status_code == 400 and "already exists" in dup.get_data(as_text=True)


def test_bad_port_and_bad_id_are_refused(op_client: BatonClient) -> None:
    port = op_client.submit("/connections/", {"conn_id": "x", "conn_type": "http", "port": "99999"})
    assert "port &#39;99999&#39; is not a port number" in port.get_data(as_text=True)
    bad_id = op_client.submit("/connections/", {"conn_id": "a/b", "conn_type": "http"})
    assert bad_id.status_code == 400 and "is not valid" in bad_id.get_data(as_text=True)


def test_test_button_reports_the_hook_result_in_a_flash_and_the_log(
    webui: WebUI, op_client: BatonClient
) -> None:
    # Port 1 on this machine refuses at once: a real failing test, without the network.
    conn = Connection(
        conn_id="local", conn_type="http", host="http://127.0.0.1:1", password=PASSWORD
    )
    conn_api.create_connection(webui.settings, conn, source="test")
    page = op_client.submit("/connections/local/test", follow_redirects=True)
    html = page.get_data(as_text=True)
    assert "Connection &#39;local&#39; FAILED" in html and "hook plugins.http" in html
    _no_secret(html)
    event = _events(webui, "connection_test")[0]
    assert "connection 'local' tested: FAILED" in event.detail and event.source == "webui:operator"


def test_delete(webui: WebUI, op_client: BatonClient, stored: Connection) -> None:
    op_client.submit("/connections/my_api/delete")
    assert [i for i in conn_api.list_connections(webui.settings) if i.source == "database"] == []
    assert _events(webui, "connection_delete")[0].source == "webui:operator"
    missing = op_client.get("/connections/my_api/edit")
    assert missing.status_code == 404 and "is not in the database" in missing.get_data(as_text=True)


def test_viewers_cannot_see_or_change_connections(
    webui: WebUI, viewer_client: BatonClient, stored: Connection
) -> None:
    assert viewer_client.get("/connections/").status_code == 403
    assert viewer_client.submit("/connections/my_api/delete").status_code == 403
    assert conn_api.get_stored_connection(webui.settings, "my_api").password == PASSWORD


def test_changes_need_the_csrf_token(
    webui: WebUI, admin_client: BatonClient, stored: Connection
) -> None:
    assert admin_client.post("/connections/my_api/delete").status_code == 403
    assert conn_api.get_stored_connection(webui.settings, "my_api").host == "api.example.com"
