"""The notifiers against real servers: SMTP (aiosmtpd), an HTTP receiver (webhook, Slack),
templates with run links, the HMAC signature, retries, and a failure that is not raised."""

from __future__ import annotations

import hmac
import logging
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from scheduler.notifications import (
    SIGNATURE_HEADER,
    BaseNotifier,
    SlackWebhookNotifier,
    SmtpNotifier,
    WebhookNotifier,
    sign,
)
from tests.notifications.receivers import free_port, http_receiver, smtp_server

SECRET = "s3cret-signing-key"


@pytest.fixture
def context(monkeypatch: pytest.MonkeyPatch) -> dict:
    monkeypatch.setenv("BATON_WEBUI_BASE_URL", "https://baton.example.com/")
    dag = SimpleNamespace(dag_id="billing", params={}, fileloc=None)
    ti = SimpleNamespace(task_id="charge", map_index=-1, try_number=2, state="failed")
    return {
        "dag": dag,
        "ti": ti,
        "run_id": "manual__2026-01-01",
        "dag_run": SimpleNamespace(dag_id="billing", run_id="manual__2026-01-01", state="failed"),
        "logical_date": datetime(2026, 1, 1, tzinfo=UTC),
        "exception": ValueError("card declined"),
    }


def test_smtp_notifier_sends_the_default_message_with_the_run_link(context, monkeypatch):
    with smtp_server() as (port, messages):
        conn = f"smtp://127.0.0.1:{port}?disable_ssl=true&disable_tls=true&from_email=b@x.org"
        monkeypatch.setenv("BATON_CONN_SMTP_DEFAULT", conn)
        SmtpNotifier(to="ops@example.com, oncall@example.com", cc="lead@example.com")(context)
    ((recipients, message),) = messages
    assert recipients == ["ops@example.com", "oncall@example.com", "lead@example.com"]
    assert message["From"] == "b@x.org"
    assert message["Subject"] == (
        "DAG billing - Task charge - Run ID manual__2026-01-01 in State failed"
    )
    html = next(p for p in message.walk() if p.get_content_type() == "text/html")
    text = html.get_payload(decode=True).decode()
    assert "card declined" in text
    assert "https://baton.example.com/dags/billing/runs/manual__2026-01-01" in text


def test_smtp_notifier_templates_are_rendered(context, monkeypatch):
    with smtp_server() as (port, messages):
        monkeypatch.setenv(
            "BATON_CONN_MAIL", f"smtp://127.0.0.1:{port}?disable_ssl=true&disable_tls=true"
        )
        SmtpNotifier(
            to="{{ dag.dag_id }}-team@example.com",
            from_email="baton@example.com",
            smtp_conn_id="mail",
            subject="[{{ ti.state }}] {{ ti.task_id }}",
            html_content="see {{ task_url }}",
        )(context)
    ((recipients, message),) = messages
    assert recipients == ["billing-team@example.com"]
    assert message["Subject"] == "[failed] charge"
    html = next(p for p in message.walk() if p.get_content_type() == "text/html")
    assert html.get_payload(decode=True).decode().strip() == (
        "see https://baton.example.com/dags/billing/runs/manual__2026-01-01/tasks/charge"
    )


def test_webhook_notifier_posts_json_signed_with_hmac_sha256(context):
    with http_receiver() as receiver:
        WebhookNotifier(f"{receiver.url}/hooks/baton", secret=SECRET)(context)
    (request,) = receiver.requests
    assert request.path == "/hooks/baton"
    body = request.json()
    assert body["dag_id"] == "billing" and body["task_id"] == "charge"
    assert body["state"] == "failed" and body["error"] == "card declined"
    assert body["run_url"] == "https://baton.example.com/dags/billing/runs/manual__2026-01-01"
    # what a receiver does: the HMAC of the raw body with the shared secret
    assert hmac.compare_digest(request.headers[SIGNATURE_HEADER], sign(SECRET, request.body))
    assert not hmac.compare_digest(request.headers[SIGNATURE_HEADER], sign("other", request.body))


def test_webhook_secret_from_the_connection_and_a_custom_payload(context, monkeypatch):
    with http_receiver() as receiver:
        monkeypatch.setenv(
            "BATON_CONN_ALERTS",
            f'{{"conn_type": "http", "host": "127.0.0.1", "port": {receiver.port}, '
            f'"schema": "in", "password": "{SECRET}"}}',
        )
        WebhookNotifier(http_conn_id="alerts", payload={"msg": "{{ ti.task_id }} broke"})(context)
    (request,) = receiver.requests
    assert request.path == "/in" and request.json() == {"msg": "charge broke"}
    assert request.headers[SIGNATURE_HEADER] == sign(SECRET, request.body)


def test_a_failing_notifier_is_retried_then_succeeds(context, caplog):
    with http_receiver(fail_first=2) as receiver:
        WebhookNotifier(receiver.url, retries=2, retry_delay=0.01)(context)
    assert len(receiver.requests) == 3
    assert caplog.text.count("WebhookNotifier failed (attempt") == 2


def test_a_notifier_that_keeps_failing_is_logged_and_never_raises(context, caplog):
    caplog.set_level(logging.WARNING)
    dead = f"http://127.0.0.1:{free_port()}/nobody"
    WebhookNotifier(dead, secret=SECRET, retries=1, retry_delay=0.01)(context)  # no raise
    assert "WebhookNotifier failed (attempt 2 of 2)" in caplog.text
    assert "giving up, the task's outcome is unchanged" in caplog.text
    assert SECRET not in caplog.text


def test_slack_notifier_posts_slack_shaped_json_and_hides_the_url(context, caplog):
    with http_receiver(fail_first=1) as receiver:
        url = f"{receiver.url}/services/T000/B000/XXXXSECRET"
        SlackWebhookNotifier(webhook_url=url, retries=1, retry_delay=0.01)(context)
    assert len(receiver.requests) == 2
    body = receiver.requests[-1].json()
    assert body["text"].startswith(":red_circle: Task *charge* of DAG *billing*")
    assert (
        "<https://baton.example.com/dags/billing/runs/manual__2026-01-01|open the run>"
        in (body["text"])
    )
    assert "XXXXSECRET" not in caplog.text


def test_base_notifier_subclass_renders_its_template_fields(context):
    sent = []

    class Recorder(BaseNotifier):
        template_fields = ("message",)

        def __init__(self, message: str) -> None:
            super().__init__()
            self.message = message

        def notify(self, context: dict) -> None:
            sent.append(self.message)

    notifier = Recorder("{{ dag.dag_id }}/{{ ti.task_id }}: {{ run_url }}")
    notifier(context)
    assert sent == [
        "billing/charge: https://baton.example.com/dags/billing/runs/manual__2026-01-01"
    ]
    assert notifier.message.startswith("{{")  # the notifier itself stays a template


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="pass url= or http_conn_id="):
        WebhookNotifier()
    with pytest.raises(ValueError, match="must not be negative"):
        WebhookNotifier("http://x", retries=-1)
