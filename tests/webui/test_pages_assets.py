"""The assets page's event form (Op and above): it records an event as ``baton assets event``
does, with the user as its source; bad JSON and unknown assets are shown, not raised."""

from __future__ import annotations

from datetime import UTC, datetime

from scheduler import DAG, Asset, EmptyOperator
from scheduler.api import assets as asset_api
from scheduler.api.databases import database
from scheduler.authoring import serialize_dag
from scheduler.store import dags as dag_store
from scheduler.store.db import transaction
from tests.webui.conftest import BatonClient, WebUI

URI = "s3://lake/orders.csv"


def _with_an_asset(webui: WebUI) -> None:
    with DAG("orders_consumer", schedule=[Asset(URI)]) as dag:
        EmptyOperator(task_id="t")
    with transaction(database(webui.settings)) as session:
        parsed = [dag_store.ParsedFile("/dags/orders.py", [serialize_dag(dag)], [])]
        dag_store.sync_files(session, parsed, now=datetime.now(UTC), paused_at_creation=False)


def test_an_op_records_an_event_from_the_page(webui: WebUI, op_client: BatonClient) -> None:
    _with_an_asset(webui)
    html = op_client.get("/assets").get_data(as_text=True)
    assert 'data-testid="asset-event-form"' in html and f'value="{URI}"' in html
    reply = op_client.submit("/assets/events", {"uri": URI, "extra": '{"rows": 7}'})
    assert reply.status_code == 302
    (event,) = asset_api.list_asset_events(webui.settings, uri=URI).rows
    assert (event["extra"], event["external_source"]) == ({"rows": 7}, "webui:operator")
    page = op_client.get("/assets", follow_redirects=True).get_data(as_text=True)
    assert "{&#34;rows&#34;: 7}" in page and "webui:operator" in page


def test_bad_input_is_shown_on_the_page(webui: WebUI, op_client: BatonClient) -> None:
    _with_an_asset(webui)
    bad_json = op_client.submit("/assets/events", {"uri": URI, "extra": "{"}, follow_redirects=True)
    assert "extra is not valid JSON" in bad_json.get_data(as_text=True)
    unknown = op_client.submit("/assets/events", {"uri": "s3://nope"}, follow_redirects=True)
    assert "no asset has URI" in unknown.get_data(as_text=True)
    assert asset_api.list_asset_events(webui.settings).total == 0


def test_viewers_see_no_form_and_cannot_post(webui: WebUI, viewer_client: BatonClient) -> None:
    _with_an_asset(webui)
    assert "asset-event-form" not in viewer_client.get("/assets").get_data(as_text=True)
    assert viewer_client.submit("/assets/events", {"uri": URI}).status_code == 403
