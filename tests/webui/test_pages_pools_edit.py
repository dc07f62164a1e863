"""The pools page's edit mode: ``?edit=NAME`` fills the form with the pool's settings, and
saving it changes that pool (an event in the log)."""

from __future__ import annotations

from scheduler import api
from tests.webui.conftest import BatonClient, WebUI


def test_edit_fills_the_form_and_saves(webui: WebUI, op_client: BatonClient) -> None:
    api.set_pool(webui.settings, "etl", 4, "nightly", source="test")
    html = op_client.get("/pools?edit=etl").get_data(as_text=True)
    assert 'value="etl" readonly' in html and 'value="4"' in html and 'value="nightly"' in html
    op_client.submit("/pools/set", {"name": "etl", "slots": "7", "description": "nightly"})
    assert api.get_pool(webui.settings, "etl").slots == 7
    rows = api.events_page(webui.settings, filters={"event": "pool_set"}, limit=5, offset=0).rows
    assert rows[0].source == "webui:operator"


def test_edit_of_an_unknown_pool_shows_the_empty_form(op_client: BatonClient) -> None:
    html = op_client.get("/pools?edit=nope").get_data(as_text=True)
    assert "readonly" not in html and "Set pool" in html


def test_viewers_see_no_edit_link(viewer_client: BatonClient) -> None:
    assert 'data-testid="pool-edit"' not in viewer_client.get("/pools").get_data(as_text=True)
