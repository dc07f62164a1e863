"""The webhook signature (HMAC-SHA256 over ``<timestamp>.<body>``, a 5-minute window) and
``DAG(webhooks=...)``: checked when the DAG file loads, kept in the serialised DAG."""

from __future__ import annotations

import hashlib
import hmac
import time

import pytest

from scheduler import DAG, Webhook
from scheduler.api.webhooks import parse_body, sign, verify
from scheduler.authoring.serialize import serialize_dag
from scheduler.errors import ConfLimitError, DagDefinitionError, WebhookAuthError
from scheduler.json_limits import JsonLimits
from scheduler.spec import DagSpec


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    expected = hmac.new(b"s3cret", b"1700000000.{}", hashlib.sha256).hexdigest()
    assert sign("s3cret", "1700000000", b"{}") == f"sha256={expected}"


def test_verify_accepts_a_fresh_signature_and_refuses_the_rest() -> None:
    now = str(int(time.time()))
    verify("s3cret", now, sign("s3cret", now, b'{"a": 1}'), b'{"a": 1}')
    old, future = str(int(time.time()) - 301), str(int(time.time()) + 301)
    cases = [
        (now, sign("other", now, b"{}"), b"{}", "does not match"),
        (now, sign("s3cret", now, b"{}"), b'{"a": 2}', "does not match"),  # body changed
        (old, sign("s3cret", old, b"{}"), b"{}", "replay window"),
        (future, sign("s3cret", future, b"{}"), b"{}", "replay window"),
        ("nan", sign("s3cret", "nan", b"{}"), b"{}", "replay window"),
        ("yesterday", "sha256=0", b"{}", "Unix seconds"),
        (None, "sha256=0", b"{}", "needs the headers"),
        (now, None, b"{}", "needs the headers"),
    ]
    for timestamp, signature, body, message in cases:
        with pytest.raises(WebhookAuthError, match=message):
            verify("s3cret", timestamp, signature, body)


def test_verify_returns_the_signature_without_blanks_the_run_id_is_made_of() -> None:
    now = str(int(time.time()))
    signature = sign("s3cret", now, b"{}")
    assert verify("s3cret", now, f"  {signature} ", b"{}") == signature


def test_the_body_must_be_a_bounded_json_object() -> None:
    limits = JsonLimits()
    assert parse_body(b'{"order": 1}', limits) == {"order": 1}
    assert parse_body(b"  ", limits) == {}
    with pytest.raises(ValueError, match="not valid JSON"):
        parse_body(b"{oops", limits)
    with pytest.raises(ValueError, match="must be a JSON object"):
        parse_body(b"[1]", limits)
    with pytest.raises(ValueError, match="not valid JSON"):
        parse_body(b'{"a": "\xff"}', limits)
    with pytest.raises(ConfLimitError, match="BATON_MAX_CONF_DEPTH"):
        parse_body(b"[" * 10_000 + b"]" * 10_000, limits)


def test_dag_webhooks_are_checked_and_serialised() -> None:
    dag = DAG("w", webhooks=[Webhook("pay.v1", secret_conn_id="pay_hook")])
    spec = serialize_dag(dag)
    assert spec.webhooks == ({"name": "pay.v1", "secret_conn_id": "pay_hook"},)
    assert DagSpec.from_dict(spec.to_dict()).webhooks == spec.webhooks
    bad = [
        ([Webhook("a/b", secret_conn_id="c")], "must be 1 to 100 letters"),
        ([Webhook("a", secret_conn_id="")], "needs secret_conn_id"),
        ([Webhook("a", "c"), Webhook("a", "d")], "two webhooks are named 'a'"),
        (["a"], "takes Webhook"),
    ]
    for hooks, message in bad:
        with pytest.raises(DagDefinitionError, match=message):
            DAG("w2", webhooks=hooks)
