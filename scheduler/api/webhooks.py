"""Inbound webhooks: a third party's signed ``POST /hooks/<name>`` becomes a DAG run.

The signature is Stripe's and Slack's scheme: ``X-Baton-Signature: sha256=<hex>``, the
HMAC-SHA256, under the secret, of ``<timestamp>.<body>``, where ``X-Baton-Timestamp`` is
the sending time in Unix seconds. Signing the timestamp with the body means a captured
delivery cannot be re-sent later with a fresh timestamp; a timestamp more than
``REPLAY_WINDOW_S`` away from now is refused, and within the window the run id, derived from
the signature, makes a second delivery of the same request collide with the first run
(a unique key in the database, so two copies arriving at once cannot both start a run).

The secret is the password of the webhook's connection (``secret_conn_id``): environment
(``BATON_CONN_<ID>``) or the database, Fernet-encrypted there; it never appears in a reply.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from scheduler.api.databases import read_database
from scheduler.api.runs import get_run, trigger_dag
from scheduler.connections.lookup import get_connection
from scheduler.errors import (
    BatonError,
    ConnectionNotFoundError,
    RunNotFoundError,
    WebhookAuthError,
    WebhookNotFoundError,
    WebhookReplayError,
)
from scheduler.json_limits import JsonLimits, loads_limited
from scheduler.settings import Settings
from scheduler.store.db import transaction
from scheduler.store.models import DagRow, DagRunRow

REPLAY_WINDOW_S = 300.0
SIGNATURE_HEADER = "X-Baton-Signature"
TIMESTAMP_HEADER = "X-Baton-Timestamp"


@dataclass(frozen=True)
class WebhookTarget:
    name: str
    dag_id: str
    secret_conn_id: str


def find_webhook(settings: Settings, name: str) -> WebhookTarget:
    """The active DAG declaring webhook ``name`` (``WebhookNotFoundError`` if none does)."""
    with transaction(read_database(settings)) as session:
        rows = session.execute(
            select(col(DagRow.dag_id), col(DagRow.spec)).where(col(DagRow.is_active))
        )
        found = [
            WebhookTarget(name, dag_id, hook["secret_conn_id"])
            for dag_id, spec in rows
            for hook in (spec or {}).get("webhooks", ())
            if hook.get("name") == name
        ]
    if not found:
        raise WebhookNotFoundError(f"no webhook named {name!r}")
    if len(found) > 1:  # two DAG files claim one URL: refuse rather than pick one
        dags = ", ".join(sorted(target.dag_id for target in found))
        raise BatonError(f"webhook {name!r} is declared by several DAGs ({dags}); rename one")
    return found[0]


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Baton-Signature`` value of ``body`` sent at ``timestamp`` (for senders too)."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


def verify(secret: str, timestamp: str | None, signature: str | None, body: bytes) -> str:
    """Refuse (``WebhookAuthError``) a delivery not signed with ``secret`` or not fresh;
    return the signature as checked (without surrounding blanks)."""
    if not timestamp or not signature:
        raise WebhookAuthError(
            f"the delivery needs the headers {TIMESTAMP_HEADER} (Unix seconds) and "
            f"{SIGNATURE_HEADER} (sha256=<HMAC-SHA256 of '<timestamp>.<body>'>)"
        )
    try:
        sent = float(timestamp)
    except ValueError:
        raise WebhookAuthError(f"{TIMESTAMP_HEADER} must be Unix seconds") from None
    if not abs(time.time() - sent) <= REPLAY_WINDOW_S:  # also refuses nan
        raise WebhookAuthError(
            f"{TIMESTAMP_HEADER} is outside the replay window of {REPLAY_WINDOW_S:g} s; "
            "sign each delivery when it is sent (and keep the sender's clock in sync)"
        )
    checked = signature.strip()
    if not hmac.compare_digest(sign(secret, timestamp, body), checked):
        raise WebhookAuthError("the signature does not match the body")
    return checked


def receive(
    settings: Settings, name: str, body: bytes, timestamp: str | None, signature: str | None
) -> DagRunRow:
    """Check a delivery of webhook ``name`` and start its DAG's run with the body as conf.

    Raises, in this order: ``WebhookNotFoundError``; ``WebhookAuthError`` (unsigned, stale,
    wrong); ``ValueError`` for a body that is not a JSON object and ``ConfLimitError`` for
    one too deep; ``WebhookReplayError`` for a delivery already received.
    """
    target = find_webhook(settings, name)
    # The run id comes from the signature as checked: the same delivery re-sent with
    # blanks around its signature header is the same run, and is refused as a replay.
    checked = verify(_secret(settings, target), timestamp, signature, body)
    conf = parse_body(body, JsonLimits.from_settings(settings))
    run_id = f"webhook__{name}__{checked.removeprefix('sha256=')[:32]}"
    _refuse_replay(settings, target, run_id)
    try:
        return trigger_dag(
            settings, target.dag_id, conf=conf, run_id=run_id, source=f"webhook:{name}"
        )
    except BatonError:
        _refuse_replay(settings, target, run_id)  # the same delivery twice at once: one won
        raise


def parse_body(body: bytes, limits: JsonLimits) -> dict[str, Any]:
    """The body as a conf: a JSON object within the conf limits."""
    if not body.strip():
        return {}
    try:
        value = loads_limited(body, limits)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"the body is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        kind = type(value).__name__
        raise ValueError(f"the body must be a JSON object (it becomes the run's conf), got {kind}")
    return value


def _secret(settings: Settings, target: WebhookTarget) -> str:
    try:
        password = get_connection(target.secret_conn_id, settings).password
    except ConnectionNotFoundError:
        password = None
    if not password:
        # The operator's mistake, not the caller's: said in the server's log, not the reply.
        raise BatonError(
            f"webhook {target.name!r} of DAG {target.dag_id!r}: connection "
            f"{target.secret_conn_id!r} has no password to sign with; set one with "
            f"`baton connections add {target.secret_conn_id} --conn-password ...`"
        )
    return password


def _refuse_replay(settings: Settings, target: WebhookTarget, run_id: str) -> None:
    try:
        get_run(settings, target.dag_id, run_id)
    except RunNotFoundError:
        return
    raise WebhookReplayError(f"this delivery was already received (run {run_id})")
