"""REST API actions (Op and above): pause, trigger, clear, mark. Each is recorded in the
event log as the user's action (source ``webui:<username>``)."""

from __future__ import annotations

from urllib.parse import quote

from scheduler import api
from tests.webui.conftest import BatonClient, WebUI

V1 = "/api/v1"


def _last_event(webui: WebUI, event: str):
    rows = api.events_page(webui.settings, filters={"event": event}, limit=1, offset=0).rows
    return rows[0]


def test_pause_and_unpause(webui: WebUI) -> None:
    client = webui.app.test_client()
    headers = webui.bearer("Op")
    response = client.patch(f"{V1}/dags/demo_etl", json={"is_paused": False}, headers=headers)
    assert response.status_code == 200 and response.json["is_paused"] is False
    assert api.get_dag(webui.settings, "demo_etl").is_paused is False
    assert _last_event(webui, "unpause").source == "webui:operator"
    response = client.patch(f"{V1}/dags/demo_etl", json={"is_paused": True}, headers=headers)
    assert response.json["is_paused"] is True
    assert _last_event(webui, "pause").source == "webui:operator"


def test_browser_session_calls_need_the_csrf_header(webui: WebUI, op_client: BatonClient) -> None:
    url = f"{V1}/dags/demo_fail"
    refused = op_client.patch(url, json={"is_paused": False})
    assert refused.status_code == 403 and "CSRF" in refused.json["error"]
    accepted = op_client.json_call("PATCH", url, {"is_paused": False})
    assert accepted.status_code == 200 and accepted.json["is_paused"] is False


def test_trigger_a_run_with_conf_date_and_id(webui: WebUI) -> None:
    body = {
        "dag_run_id": "from_the_api",
        "logical_date": "2026-03-01T06:00:00Z",
        "conf": {"region": "us", "api_token": "tok-very-secret"},
    }
    client = webui.app.test_client()
    response = client.post(f"{V1}/dags/demo_etl/dagRuns", json=body, headers=webui.bearer("Op"))
    assert response.status_code == 200, response.json
    run = response.json
    assert (run["dag_run_id"], run["state"], run["run_type"]) == (
        "from_the_api",
        "queued",
        "manual",
    )
    assert run["logical_date"] == "2026-03-01T06:00:00+00:00"
    assert run["conf"] == {"region": "us", "api_token": "***"}
    stored = api.get_run(webui.settings, "demo_etl", "from_the_api")
    assert stored.conf == body["conf"] and stored.triggered_by == "webui:operator"
    again = client.post(f"{V1}/dags/demo_etl/dagRuns", json=body, headers=webui.bearer("Op"))
    assert again.status_code == 409 and again.json["field"] == "dag_run_id"


def test_trigger_with_an_empty_body_uses_defaults(webui: WebUI) -> None:
    client = webui.app.test_client()
    response = client.post(f"{V1}/dags/demo_fail/dagRuns", json={}, headers=webui.bearer("Admin"))
    assert response.status_code == 200
    assert response.json["dag_run_id"].startswith("manual__") and response.json["conf"] == {}


def test_clear_with_downstream(webui: WebUI) -> None:
    client = webui.app.test_client()
    body = {
        "dag_run_id": webui.seed.failed_run,
        "task_ids": ["boom"],
        "include_downstream": True,
    }
    response = client.post(
        f"{V1}/dags/demo_fail/clearTaskInstances", json=body, headers=webui.bearer("Op")
    )
    assert response.status_code == 200, response.json
    assert sorted(t["task_id"] for t in response.json["task_instances"]) == ["after", "boom"]
    states = {
        ti.task_id: ti.state
        for ti in api.list_task_instances(webui.settings, "demo_fail", webui.seed.failed_run)
    }
    assert states == {"boom": "none", "after": "none"}
    assert api.get_run(webui.settings, "demo_fail", webui.seed.failed_run).state == "queued"


def test_mark_a_task_instance(webui: WebUI) -> None:
    client = webui.app.test_client()
    url = f"{V1}/dags/demo_fail/dagRuns/{quote(webui.seed.failed_run, safe='')}/taskInstances/boom"
    response = client.patch(url, json={"new_state": "success"}, headers=webui.bearer("Op"))
    assert response.status_code == 200, response.json
    assert response.json["state"] == "success"
    rows = api.events_page(
        webui.settings,
        filters={"event": None, "task_id": "boom", "dag_id": "demo_fail"},
        limit=1,
        offset=0,
    ).rows
    assert (rows[0].new_state, rows[0].source) == ("success", "webui:operator")


def test_viewers_cannot_act(webui: WebUI) -> None:
    client = webui.app.test_client()
    response = client.post(f"{V1}/dags/demo_etl/dagRuns", json={}, headers=webui.bearer("Viewer"))
    assert response.status_code == 403 and "Op" in response.json["error"]
    assert api.runs_page(webui.settings, "demo_etl", state=None, limit=10, offset=0).total == 2
