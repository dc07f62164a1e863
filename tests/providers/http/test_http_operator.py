"""``HttpOperator`` through the real runner against a real local HTTP service."""

from __future__ import annotations

import base64
import json

import pytest

from tests.runner.support import DagFolder, xcom

from .service import FakeService

DAG = """
    from scheduler import DAG
    from plugins.http import HttpOperator

    with DAG("demo", params={"order": 42}):
        HttpOperator(task_id="create", http_conn_id="svc", endpoint="orders/{{ ds_nodash }}",
                     data={"order": "{{ params.order }}", "run": "{{ run_id }}"},
                     headers={"X-Run": "{{ run_id }}"}, retry_backoff=0.05)
        HttpOperator(task_id="get", http_conn_id="bearer", method="GET", endpoint="status",
                     data={"q": "{{ ds }}"})
        HttpOperator(task_id="slow", http_conn_id="svc", endpoint="slow", timeout=0.5,
                     max_attempts=1)
        HttpOperator(task_id="checked", http_conn_id="svc", endpoint="check",
                     response_check=lambda response: response.json()["ok"])
        HttpOperator(task_id="filtered", http_conn_id="svc", endpoint="f", log_response=True,
                     response_filter=lambda response, ds: [response.json()["n"], ds])
        HttpOperator(task_id="text", http_conn_id="svc", method="PUT", endpoint="t",
                     data="raw body")
"""


@pytest.fixture
def http_dags(dags: DagFolder, service: FakeService, monkeypatch: pytest.MonkeyPatch) -> DagFolder:
    port = service.port
    monkeypatch.setenv("BATON_CONN_SVC", f"http://alice:s3cr3t-pass@127.0.0.1:{port}")
    monkeypatch.setenv(
        "BATON_CONN_BEARER",
        json.dumps(
            {
                "conn_type": "http",
                "host": "127.0.0.1",
                "port": port,
                "extra": {"token": "tok-abcdef-123", "X-Tenant": "acme"},
            }
        ),
    )
    dags.write(DAG)
    return dags


def test_templated_json_body_endpoint_headers_and_basic_auth(
    http_dags: DagFolder, service: FakeService
) -> None:
    service.reply(201, {"id": 7, "status": "created"})
    finished, log = http_dags.run("create")
    assert finished.state == "success", log
    assert xcom(finished) == {"id": 7, "status": "created"}
    (call,) = service.calls
    assert (call.method, call.path) == ("POST", "/orders/20261128")
    assert call.json() == {"order": "42", "run": "manual__1"}
    assert call.headers["content-type"] == "application/json"
    assert call.headers["x-run"] == "manual__1"
    assert (
        call.headers["authorization"] == "Basic " + base64.b64encode(b"alice:s3cr3t-pass").decode()
    )
    assert call.headers["idempotency-key"] == "demo/manual__1/create"
    assert call.headers["baton-try-number"] == "1"
    assert "s3cr3t-pass" not in log and "Basic " not in log


def test_bearer_token_and_extra_headers_and_get_params(
    http_dags: DagFolder, service: FakeService
) -> None:
    finished, log = http_dags.run("get", try_number=2)
    assert finished.state == "success", log
    (call,) = service.calls
    assert (call.method, call.path, call.query) == ("GET", "/status", {"q": "2026-11-28"})
    assert call.headers["authorization"] == "Bearer tok-abcdef-123"
    assert call.headers["x-tenant"] == "acme"
    assert call.headers["idempotency-key"] == "demo/manual__1/get"  # the same for every try
    assert call.headers["baton-try-number"] == "2"
    assert "token" not in call.headers  # options are not sent as headers
    assert "tok-abcdef-123" not in log
    assert xcom(finished)["path"] == "/status"


def test_a_request_timeout_fails_the_try(http_dags: DagFolder, service: FakeService) -> None:
    service.reply(200, {"late": True}, delay_s=2)
    finished, _ = http_dags.run("slow")
    assert finished.state == "failed"
    assert "got no answer after 1 attempt(s): ReadTimeout" in finished.error
    assert len(service.calls) == 1


def test_a_failing_response_check_fails_the_try(http_dags: DagFolder, service: FakeService) -> None:
    service.reply(200, {"ok": False})
    finished, _ = http_dags.run("checked")
    assert finished.state == "failed"
    assert "response_check returned False for POST" in finished.error
    service.reply(200, {"ok": True})
    assert http_dags.run("checked")[0].state == "success"


def test_response_filter_gets_the_context_and_log_response_logs_the_body(
    http_dags: DagFolder, service: FakeService
) -> None:
    service.reply(200, {"n": 3})
    finished, log = http_dags.run("filtered")
    assert finished.state == "success", log
    assert xcom(finished) == [3, "2026-11-28"]
    assert 'Response: {"n": 3}' in log


def test_a_text_response_and_a_raw_body(http_dags: DagFolder, service: FakeService) -> None:
    service.reply(200, "plain words")
    finished, log = http_dags.run("text")
    assert finished.state == "success", log
    assert xcom(finished) == "plain words"
    assert service.calls[0].body == b"raw body"


def test_a_4xx_fails_at_once_with_the_status_and_body(
    http_dags: DagFolder, service: FakeService
) -> None:
    service.reply(422, {"error": "order 42 is closed"})
    finished, _ = http_dags.run("create")
    assert finished.state == "failed"
    assert "answered 422" in finished.error and "order 42 is closed" in finished.error
    assert len(service.calls) == 1  # a client error is not retried within the try
