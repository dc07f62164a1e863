"""A conf too deep or too large is refused with 400 naming the limit, before anything is
stored, through the REST API and the trigger form; no JSON body the API accepts, however
deeply nested, gives a 500 (the app runs with TESTING, so a crash would raise here)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import update

from scheduler import api
from scheduler.store.db import transaction
from scheduler.store.models import dag_run_table
from tests.test_json_limits import deep_text, nested
from tests.webui.conftest import BatonClient, WebUI

RUNS = "/api/v1/dags/demo_etl/dagRuns"


def _post_raw(client: BatonClient, url: str, body: str, method: str = "POST") -> object:
    headers = {"X-CSRF-Token": client.csrf, "Content-Type": "application/json"}
    return client.open(url, method=method, data=body, headers=headers)


def _run_ids(webui: WebUI) -> set[str]:
    return {run.run_id for run in api.list_runs(webui.settings, "demo_etl", limit=1000)}


def test_a_conf_501_levels_deep_is_refused_and_nothing_is_stored(
    webui: WebUI, op_client: BatonClient
) -> None:
    before = _run_ids(webui)
    response = op_client.json_call("POST", RUNS, {"conf": nested(501), "dag_run_id": "deep"})
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.json["error"].startswith(
        "conf is nested 501 levels deep; the limit is 64 (BATON_MAX_CONF_DEPTH)"
    )
    assert response.json["field"] == "conf"
    assert _run_ids(webui) == before
    listing = op_client.get(RUNS)  # the listing the stored conf used to break
    assert listing.status_code == 200 and listing.json["total_entries"] == len(before)
    assert op_client.get("/dags/demo_etl/grid").status_code == 200


def test_a_conf_at_the_limits_is_accepted(webui: WebUI, op_client: BatonClient) -> None:
    conf = {"deep": nested(63), "blob": "x" * 60_000}
    response = op_client.json_call("POST", RUNS, {"conf": conf, "dag_run_id": "edge"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert api.get_run(webui.settings, "demo_etl", "edge").conf == conf


def test_a_conf_over_64_kib_is_refused(webui: WebUI, op_client: BatonClient) -> None:
    response = op_client.json_call("POST", RUNS, {"conf": {"blob": "x" * 70_000}})
    assert response.status_code == 400
    assert "the limit is 65536 (BATON_MAX_CONF_SIZE)" in response.json["error"]
    assert response.json["field"] == "conf"


def test_a_hundred_thousand_levels_never_reach_the_json_parser(op_client: BatonClient) -> None:
    body = '{"conf":' + "[" * 100_000 + "]" * 100_000 + "}"
    response = _post_raw(op_client, RUNS, body)
    assert response.status_code == 400
    assert response.json["error"].startswith("conf is nested 100000 levels deep")


@pytest.mark.parametrize(
    ("method", "url", "body", "field"),
    [
        ("POST", "/api/v1/pools", '{"name": "p", "slots": 1, "description": %s}', "description"),
        ("PATCH", "/api/v1/dags/demo_etl", '{"is_paused": %s}', "is_paused"),
        ("POST", "/api/v1/dags/demo_etl/clearTaskInstances", '{"task_ids": %s}', "task_ids"),
        ("POST", RUNS, "[" * 3000 + "]" * 3000, "body"),  # the body itself, not an object
        ("POST", RUNS, '{"conf": {"a": %s', "conf"),  # deep and not even valid JSON
        ("POST", RUNS, "{" * 5000, "body"),  # only brackets: no field to name
    ],
)
def test_every_json_body_is_bounded(
    op_client: BatonClient, method: str, url: str, body: str, field: str
) -> None:
    text = body % deep_text(3000) if "%s" in body else body
    response = _post_raw(op_client, url, text, method)
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert "levels deep; the limit is 64 (BATON_MAX_CONF_DEPTH)" in response.json["error"]
    assert response.json["field"] == field


def test_the_trigger_form_refuses_a_deep_conf(webui: WebUI, op_client: BatonClient) -> None:
    before = _run_ids(webui)
    for text in (json.dumps(nested(501)), "[" * 20_000 + "]" * 20_000):
        response = op_client.submit("/dags/demo_etl/trigger", {"mode": "json", "conf": text})
        assert response.status_code == 400
        assert "levels deep; the limit is 64 (BATON_MAX_CONF_DEPTH)" in response.get_data(
            as_text=True
        )
    response = op_client.submit(
        "/dags/demo_etl/trigger", {"mode": "json", "conf": json.dumps({"b": "x" * 70_000})}
    )
    assert response.status_code == 400 and "BATON_MAX_CONF_SIZE" in response.get_data(as_text=True)
    assert _run_ids(webui) == before


def test_a_deep_conf_stored_before_the_limits_still_lists(
    webui: WebUI, viewer_client: BatonClient
) -> None:
    """A row written before the limits existed (here: straight into the table) is listed
    and shown, its depths past 250 levels masked, instead of breaking the DAG's runs."""
    with transaction(api.database(webui.settings)) as session:
        session.execute(
            update(dag_run_table)
            .where(dag_run_table.c.run_id == webui.seed.queued_run)
            .values(conf=nested(600))
        )
    listing = viewer_client.get(RUNS)
    assert listing.status_code == 200
    (run,) = [r for r in listing.json["dag_runs"] if r["dag_run_id"] == webui.seed.queued_run]
    assert "***" in json.dumps(run["conf"])
    page = viewer_client.get(f"/dags/demo_etl/grid?run_id={webui.seed.queued_run}")
    assert page.status_code == 200
