"""API tokens: created in the UI (value shown once, stored hashed), used as Bearer, revoked."""

from __future__ import annotations

import re

from scheduler import api
from tests.webui.conftest import BatonClient, WebUI

TOKEN = re.compile(r"baton_[A-Za-z0-9_-]{20,}")


def _create(client: BatonClient, name: str) -> str:
    response = client.submit("/auth/tokens", {"name": name})
    assert response.status_code == 200
    found = TOKEN.findall(response.get_data(as_text=True))
    assert len(found) == 1
    return found[0]


def test_a_token_is_shown_once_and_works_as_bearer(
    webui: WebUI, viewer_client: BatonClient
) -> None:
    value = _create(viewer_client, "grafana")
    listing = viewer_client.get("/auth/tokens").get_data(as_text=True)
    assert "grafana" in listing and value not in listing
    client = webui.app.test_client()
    response = client.get("/api/v1/dags", headers={"Authorization": f"Bearer {value}"})
    assert response.status_code == 200 and response.json["total_entries"] == 2
    metrics = client.get("/metrics", headers={"Authorization": f"Bearer {value}"})
    assert metrics.status_code == 200 and b"baton_dag_runs" in metrics.data
    assert client.get_cookie("baton_session") is None  # token calls open no session
    tokens = api.list_tokens(webui.settings, webui.seed.user_ids["Viewer"])
    assert [t.name for t in tokens] == ["Viewer token", "grafana"]
    assert tokens[1].last_used_at is not None


def test_a_revoked_token_fails(webui: WebUI, op_client: BatonClient) -> None:
    value = _create(op_client, "ci")
    headers = {"Authorization": f"Bearer {value}"}
    client = webui.app.test_client()
    assert client.get("/api/v1/dags", headers=headers).status_code == 200
    token_id = api.list_tokens(webui.settings, webui.seed.user_ids["Op"])[-1].id
    response = op_client.submit(f"/auth/tokens/{token_id}/revoke")
    assert response.status_code == 302
    assert client.get("/api/v1/dags", headers=headers).status_code == 401
    assert "<td>ci</td>" not in op_client.get("/auth/tokens").get_data(as_text=True)
    events = api.events_page(webui.settings, filters={"event": None}, limit=5, offset=0).rows
    assert {"token_create", "token_revoke"} <= {e.event for e in events}
    assert all(value not in (e.detail or "") for e in events)


def test_nobody_revokes_someone_elses_token(webui: WebUI, op_client: BatonClient) -> None:
    admin_token = api.list_tokens(webui.settings, webui.seed.user_ids["Admin"])[0]
    op_client.submit(f"/auth/tokens/{admin_token.id}/revoke")
    headers = webui.bearer("Admin")
    assert webui.app.test_client().get("/api/v1/dags", headers=headers).status_code == 200


def test_a_token_needs_a_name(viewer_client: BatonClient) -> None:
    response = viewer_client.submit("/auth/tokens", {"name": "  "})
    assert response.status_code == 400
    assert TOKEN.search(response.get_data(as_text=True)) is None


def test_tokens_of_a_deleted_user_stop_working(webui: WebUI) -> None:
    headers = webui.bearer("Viewer")
    client = webui.app.test_client()
    assert client.get("/api/v1/dags", headers=headers).status_code == 200
    api.delete_user(webui.settings, "viewer")
    assert client.get("/api/v1/dags", headers=headers).status_code == 401
