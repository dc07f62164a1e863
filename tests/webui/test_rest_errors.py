"""Malformed input gets a 4xx JSON error naming the field; never a 500 or an HTML page."""

from __future__ import annotations

from typing import Any

import pytest

from tests.webui.conftest import WebUI

V1 = "/api/v1"
RUN = "queued_run"
TI = f"{V1}/dags/demo_etl/dagRuns/{RUN}/taskInstances"

# (method, url, json body or raw text, expected status, expected field)
CASES: list[tuple[str, str, Any, int, str | None]] = [
    ("GET", f"{V1}/dags?limit=0", None, 400, "limit"),
    ("GET", f"{V1}/dags?limit=1001", None, 400, "limit"),
    ("GET", f"{V1}/dags?limit=ten", None, 400, "limit"),
    ("GET", f"{V1}/dags?offset=-1", None, 400, "offset"),
    ("GET", f"{V1}/eventLogs?limit=1.5", None, 400, "limit"),
    ("GET", f"{V1}/dags/demo_etl/dagRuns?state=exploded", None, 400, "state"),
    ("GET", f"{V1}/dags/nope", None, 404, "dag_id"),
    ("GET", f"{V1}/dags/nope/dagRuns", None, 404, "dag_id"),
    ("GET", f"{V1}/dags/demo_etl/dagRuns/nope", None, 404, "dag_run_id"),
    ("GET", f"{V1}/dags/demo_etl/dagRuns/nope/taskInstances", None, 404, "dag_run_id"),
    ("GET", f"{TI}/nope", None, 404, "task_id"),
    ("GET", f"{TI}/nope/xcomEntries", None, 404, "task_id"),
    ("GET", f"{TI}/extract/logs?try_number=0", None, 400, "try_number"),
    ("GET", f"{TI}/extract/logs?kind=undo", None, 400, "kind"),
    ("PATCH", f"{V1}/dags/demo_etl", "{not json", 400, "body"),
    ("PATCH", f"{V1}/dags/demo_etl", [1, 2], 400, "body"),
    ("PATCH", f"{V1}/dags/demo_etl", {}, 400, "is_paused"),
    ("PATCH", f"{V1}/dags/demo_etl", {"is_paused": "yes"}, 400, "is_paused"),
    ("PATCH", f"{V1}/dags/demo_etl", {"is_paused": True, "owner": "me"}, 400, "owner"),
    ("PATCH", f"{V1}/dags/nope", {"is_paused": True}, 404, "dag_id"),
    ("POST", f"{V1}/dags/demo_etl/dagRuns", {"conf": "a=b"}, 400, "conf"),
    ("POST", f"{V1}/dags/demo_etl/dagRuns", {"conf": [1]}, 400, "conf"),
    ("POST", f"{V1}/dags/demo_etl/dagRuns", {"logical_date": "yesterday"}, 400, "logical_date"),
    ("POST", f"{V1}/dags/demo_etl/dagRuns", {"logical_date": 5}, 400, "logical_date"),
    ("POST", f"{V1}/dags/demo_etl/dagRuns", {"dag_run_id": ""}, 400, "dag_run_id"),
    ("POST", f"{V1}/dags/demo_etl/dagRuns", {"dag_run_id": "x" * 251}, 400, "dag_run_id"),
    ("POST", f"{V1}/dags/demo_etl/dagRuns", {"dag_run_id": "a/b"}, 400, "dag_run_id"),
    ("POST", f"{V1}/dags/demo_etl/dagRuns", {"dag_run_id": RUN}, 409, "dag_run_id"),
    ("POST", f"{V1}/dags/demo_etl/dagRuns", {"run_id": "x"}, 400, "run_id"),
    ("POST", f"{V1}/dags/nope/dagRuns", {}, 404, "dag_id"),
    ("PATCH", f"{TI}/extract", {"new_state": "running"}, 400, "new_state"),
    ("PATCH", f"{TI}/extract", {"new_state": None}, 400, "new_state"),
    ("PATCH", f"{TI}/nope", {"new_state": "failed"}, 404, "task_id"),
    ("POST", f"{V1}/dags/demo_etl/clearTaskInstances", {"task_ids": ["x"]}, 400, "dag_run_id"),
    (
        "POST",
        f"{V1}/dags/demo_etl/clearTaskInstances",
        {"dag_run_id": RUN, "task_ids": "extract"},
        400,
        "task_ids",
    ),
    (
        "POST",
        f"{V1}/dags/demo_etl/clearTaskInstances",
        {"dag_run_id": RUN, "task_ids": []},
        400,
        "task_ids",
    ),
    (
        "POST",
        f"{V1}/dags/demo_etl/clearTaskInstances",
        {"dag_run_id": RUN, "task_ids": ["nope"]},
        404,
        "task_id",
    ),
    (
        "POST",
        f"{V1}/dags/demo_etl/clearTaskInstances",
        {"dag_run_id": "nope", "task_ids": ["extract"]},
        404,
        "dag_run_id",
    ),
    (
        "POST",
        f"{V1}/dags/demo_etl/clearTaskInstances",
        {"dag_run_id": RUN, "task_ids": ["extract"], "include_downstream": "yes"},
        400,
        "include_downstream",
    ),
]


@pytest.mark.parametrize(("method", "url", "body", "status", "field"), CASES)
def test_malformed_input_names_the_field(
    webui: WebUI, method: str, url: str, body: Any, status: int, field: str | None
) -> None:
    client = webui.app.test_client()
    headers = webui.bearer("Admin")
    if isinstance(body, str):
        response = client.open(
            url, method=method, data=body, headers={**headers, "Content-Type": "application/json"}
        )
    else:
        response = client.open(url, method=method, json=body, headers=headers)
    assert response.status_code == status, response.data
    assert response.is_json
    assert response.json["field"] == field
    assert response.json["error"]


@pytest.mark.parametrize(
    ("method", "url", "status"),
    [
        ("GET", f"{V1}/no/such/route", 404),
        ("DELETE", f"{V1}/dags", 405),
        ("PUT", f"{V1}/dags/demo_etl", 405),
    ],
)
def test_http_errors_are_json_too(webui: WebUI, method: str, url: str, status: int) -> None:
    response = webui.app.test_client().open(url, method=method, headers=webui.bearer("Admin"))
    assert response.status_code == status
    assert response.is_json and response.json["error"]


def test_a_form_body_is_refused_with_415(webui: WebUI) -> None:
    response = webui.app.test_client().patch(
        f"{V1}/dags/demo_etl", data={"is_paused": "true"}, headers=webui.bearer("Admin")
    )
    assert response.status_code == 415 and response.json["field"] == "body"


def test_a_huge_body_is_refused(webui: WebUI) -> None:
    response = webui.app.test_client().post(
        f"{V1}/dags/demo_etl/dagRuns",
        json={"conf": {"blob": "x" * (2 * 1024 * 1024)}},
        headers=webui.bearer("Admin"),
    )
    assert response.status_code == 413 and response.is_json
