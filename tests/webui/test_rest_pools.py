"""REST API ``/pools``: Airflow's fields, Viewer reads, Op and Admin change, JSON errors."""

from __future__ import annotations

from datetime import UTC, datetime

from scheduler import api
from scheduler.spec import DagSpec, TaskSpec
from scheduler.store import dags as dag_store
from scheduler.store.db import transaction
from tests.webui.conftest import BatonClient, WebUI

V1 = "/api/v1"
NOW = datetime(2026, 12, 2, tzinfo=UTC)


def test_list_has_default_pool_with_airflows_fields(webui: WebUI) -> None:
    client = webui.app.test_client()
    response = client.get(f"{V1}/pools", headers=webui.bearer("Viewer"))
    assert response.status_code == 200
    assert response.json["total_entries"] == 1
    (pool,) = response.json["pools"]
    assert pool["name"] == "default_pool"
    assert (pool["slots"], pool["open_slots"], pool["occupied_slots"]) == (128, 128, 0)
    assert {"running_slots", "queued_slots", "description", "include_deferred"} <= set(pool)


def test_op_creates_patches_and_deletes_a_pool(webui: WebUI) -> None:
    client, headers = webui.app.test_client(), webui.bearer("Op")
    body = {"name": "partner_api", "slots": 2, "description": "rate-limited"}
    created = client.post(f"{V1}/pools", json=body, headers=headers)
    assert created.status_code == 200, created.json
    assert (created.json["slots"], created.json["open_slots"]) == (2, 2)

    again = client.post(f"{V1}/pools", json=body, headers=headers)
    assert again.status_code == 409 and "already exists" in again.json["error"]

    patched = client.patch(
        f"{V1}/pools/partner_api", json={"slots": 5, "include_deferred": True}, headers=headers
    )
    assert patched.status_code == 200
    assert (patched.json["slots"], patched.json["description"]) == (5, "rate-limited")
    assert patched.json["include_deferred"] is True
    got = client.get(f"{V1}/pools/partner_api", headers=webui.bearer("Viewer")).json
    assert got == patched.json
    events = api.events_page(webui.settings, filters={"event": "pool_set"}, limit=1, offset=0).rows
    assert events[0].source == "webui:operator"

    deleted = client.delete(f"{V1}/pools/partner_api", headers=headers)
    assert (deleted.status_code, deleted.data) == (204, b"")
    missing = client.get(f"{V1}/pools/partner_api", headers=headers)
    assert missing.status_code == 404 and missing.json["field"] == "pool_name"
    assert "baton pools set partner_api" in missing.json["error"]


def test_a_viewer_cannot_change_pools(webui: WebUI) -> None:
    client, headers = webui.app.test_client(), webui.bearer("Viewer")
    response = client.post(f"{V1}/pools", json={"name": "p", "slots": 1}, headers=headers)
    assert response.status_code == 403
    assert client.delete(f"{V1}/pools/default_pool", headers=headers).status_code == 403
    assert [p.name for p in api.list_pools(webui.settings)] == ["default_pool"]


def test_refusals_say_why(webui: WebUI) -> None:
    client, headers = webui.app.test_client(), webui.bearer("Admin")
    default = client.delete(f"{V1}/pools/default_pool", headers=headers)
    assert default.status_code == 409 and "cannot be deleted" in default.json["error"]
    negative = client.post(f"{V1}/pools", json={"name": "p", "slots": -3}, headers=headers)
    assert negative.status_code == 400 and "or -1 for unlimited" in negative.json["error"]
    wrong_type = client.post(f"{V1}/pools", json={"name": "p", "slots": "2"}, headers=headers)
    assert (wrong_type.status_code, wrong_type.json["field"]) == (400, "slots")
    rename = client.patch(f"{V1}/pools/default_pool", json={"name": "big"}, headers=headers)
    assert rename.status_code == 400 and "renaming a pool is not supported" in rename.json["error"]
    unknown = client.patch(f"{V1}/pools/nope", json={"slots": 1}, headers=headers)
    assert unknown.status_code == 404


def test_a_pool_used_by_a_dag_cannot_be_deleted(webui: WebUI, op_client: BatonClient) -> None:
    api.set_pool(webui.settings, "busy", 1, None)
    spec = DagSpec("uses_busy", "/dags/busy.py", {"t": TaskSpec("t", "EmptyOperator", pool="busy")})
    with transaction(api.database(webui.settings)) as session:
        dag_store.sync_file(session, spec.fileloc, [spec], [], now=NOW, paused_at_creation=True)
    refused = op_client.json_call("DELETE", f"{V1}/pools/busy")
    assert refused.status_code == 409
    assert "used by tasks of active DAGs (uses_busy.t)" in refused.json["error"]
    api.set_pool(webui.settings, "idle", 1, None)
    assert op_client.json_call("DELETE", f"{V1}/pools/idle").status_code == 204


def test_rate_limit_is_a_field_kept_by_patch_and_checked(webui: WebUI) -> None:
    client, headers = webui.app.test_client(), webui.bearer("Op")
    body = {"name": "billing", "slots": 3, "rate_limit": "100/m"}
    created = client.post(f"{V1}/pools", json=body, headers=headers)
    assert created.status_code == 200, created.json
    assert created.json["rate_limit"] == "100/m"
    patched = client.patch(f"{V1}/pools/billing", json={"slots": 4}, headers=headers)
    assert patched.json["rate_limit"] == "100/m"  # not given: kept
    bad = client.patch(f"{V1}/pools/billing", json={"rate_limit": "fast"}, headers=headers)
    assert bad.status_code == 400
    assert "pool 'billing': rate_limit='fast' is not a rate limit" in bad.json["error"]
    cleared = client.patch(f"{V1}/pools/billing", json={"rate_limit": None}, headers=headers)
    assert cleared.status_code == 200 and cleared.json["rate_limit"] is None
