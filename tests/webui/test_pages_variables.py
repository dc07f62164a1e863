"""The variables pages: create with JSON validation, edit (a sensitive value never shown,
blank keeps it), delete, export/import as JSON (secrets as ***, which an import keeps);
Op and above; every change in the event log (keys, never values)."""

from __future__ import annotations

import io
import json

from scheduler import api
from scheduler.api import variables as var_api
from scheduler.connections import manage
from tests.webui.conftest import BatonClient, WebUI

SECRET = "sk-live-0123456789abcdef"


def _value(webui: WebUI, key: str) -> str | None:
    for item in manage.list_variables(webui.settings):
        if item.variable is not None and item.variable.key == key:
            return item.variable.value
    return None


def _event_details(webui: WebUI) -> list[str]:
    rows = api.events_page(webui.settings, filters={}, limit=50, offset=0).rows
    return [f"{r.event} {r.source} {r.detail}" for r in rows if r.event.startswith("variable_")]


def test_create_plain_and_json_variables(webui: WebUI, op_client: BatonClient) -> None:
    assert op_client.submit("/variables/", {"key": "region", "val": "eu"}).status_code == 302
    made = op_client.submit("/variables/", {"key": "cfg", "val": '{"a":1}', "is_json": "on"})
    assert made.status_code == 302
    assert json.loads(_value(webui, "cfg")) == {"a": 1} and "\n" in _value(webui, "cfg")
    html = op_client.get("/variables/").get_data(as_text=True)
    assert "region" in html and "cfg" in html
    assert any("variable_set webui:operator variable 'cfg' set" in d for d in _event_details(webui))


def test_invalid_json_is_refused_with_where_it_breaks(webui: WebUI, op_client: BatonClient) -> None:
    bad = op_client.submit("/variables/", {"key": "cfg", "val": '{"a": }', "is_json": "on"})
    assert bad.status_code == 400
    assert "is not valid JSON: Expecting value at line 1 column 7" in bad.get_data(as_text=True)
    assert _value(webui, "cfg") is None


def test_a_sensitive_variable_is_never_shown_and_blank_keeps_it(
    webui: WebUI, op_client: BatonClient
) -> None:
    op_client.submit("/variables/", {"key": "stripe_api_key", "val": SECRET})
    for url in ("/variables/", "/variables/edit/stripe_api_key", "/variables/export"):
        assert SECRET not in op_client.get(url).get_data(as_text=True), url
    edit = op_client.get("/variables/edit/stripe_api_key").get_data(as_text=True)
    assert 'data-testid="sensitive-help"' in edit
    op_client.submit("/variables/edit/stripe_api_key", {"val": "", "description": "billing"})
    assert _value(webui, "stripe_api_key") == SECRET
    assert var_api.shown_variable(webui.settings, "stripe_api_key").description == "billing"
    assert all(SECRET not in d for d in _event_details(webui))


def test_a_json_value_with_a_secret_field_is_masked_and_kept(
    webui: WebUI, op_client: BatonClient
) -> None:
    value = json.dumps({"user": "bot", "password": SECRET})
    op_client.submit("/variables/", {"key": "db_cfg", "val": value})
    edit = op_client.get("/variables/edit/db_cfg").get_data(as_text=True)
    assert SECRET not in edit and "&#34;password&#34;: &#34;***&#34;" in edit
    op_client.submit("/variables/edit/db_cfg", {"val": ""})
    assert json.loads(_value(webui, "db_cfg"))["password"] == SECRET


def test_export_then_import_round_trips_and_keeps_masked_values(
    webui: WebUI, op_client: BatonClient
) -> None:
    op_client.submit("/variables/", {"key": "region", "val": "eu"})
    op_client.submit("/variables/", {"key": "cfg", "val": '{"a": 1}'})
    op_client.submit("/variables/", {"key": "api_token", "val": SECRET})
    export = op_client.get("/variables/export")
    assert export.headers["Content-Disposition"].startswith("attachment")
    data = export.get_json()
    assert data == {"region": "eu", "cfg": {"a": 1}, "api_token": "***"}
    data.update(region="us", new_one=[1, 2])
    upload = {"file": (io.BytesIO(json.dumps(data).encode()), "variables.json")}
    done = op_client.post(
        "/variables/import",
        data={**upload, "csrf_token": op_client.csrf},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "Imported 3 variable(s); kept 1 masked one(s) as stored." in done.get_data(as_text=True)
    assert _value(webui, "region") == "us" and _value(webui, "api_token") == SECRET
    assert json.loads(_value(webui, "new_one")) == [1, 2]


def test_an_import_that_is_not_an_object_changes_nothing(
    webui: WebUI, op_client: BatonClient
) -> None:
    for body, words in ((b"[1, 2]", "not a list"), (b"{nope", "not valid JSON")):
        upload = {"file": (io.BytesIO(body), "v.json"), "csrf_token": op_client.csrf}
        page = op_client.post("/variables/import", data=upload, follow_redirects=True)
        assert "Nothing imported" in page.get_data(as_text=True)
        assert words in page.get_data(as_text=True)
    assert manage.list_variables(webui.settings) == []


def test_delete_and_roles(webui: WebUI, op_client: BatonClient, viewer_client: BatonClient) -> None:
    op_client.submit("/variables/", {"key": "region", "val": "eu"})
    assert viewer_client.get("/variables/").status_code == 403
    assert viewer_client.get("/variables/export").status_code == 403
    assert viewer_client.submit("/variables/delete/region").status_code == 403
    assert op_client.post("/variables/delete/region").status_code == 403  # no CSRF token
    assert _value(webui, "region") == "eu"
    op_client.submit("/variables/delete/region")
    assert _value(webui, "region") is None
    assert any("variable_delete" in d for d in _event_details(webui))


def test_creating_an_existing_key_is_refused(webui: WebUI, op_client: BatonClient) -> None:
    op_client.submit("/variables/", {"key": "region", "val": "eu"})
    again = op_client.submit("/variables/", {"key": "region", "val": "us"})
    assert again.status_code == 400
    assert "variable &#39;region&#39; already exists; edit it instead" in again.get_data(
        as_text=True
    )
    assert _value(webui, "region") == "eu"
