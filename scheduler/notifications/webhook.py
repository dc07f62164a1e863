"""``WebhookNotifier``: a JSON POST, signed with HMAC-SHA256 so the receiver can trust it.

The body is the rendered ``payload`` (a dict whose strings are templates; by default the
DAG, run, task, state, error and ``run_url``), serialised with sorted keys. With a secret
(``secret=`` or the password of ``http_conn_id``) the request carries
``X-Baton-Signature-256: sha256=<hex HMAC-SHA256 of the body>`` and ``X-Baton-Timestamp``
(GitHub's scheme): the receiver computes the same HMAC over the raw body and compares with
``hmac.compare_digest``. A non-2xx answer is an error (so it is retried).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any, ClassVar

import requests

from scheduler.connections import BaseHook
from scheduler.masking import mask_secret
from scheduler.notifications.base import BaseNotifier

SIGNATURE_HEADER = "X-Baton-Signature-256"
TIMESTAMP_HEADER = "X-Baton-Timestamp"

DEFAULT_PAYLOAD: dict[str, Any] = {
    "dag_id": "{{ dag.dag_id }}",
    "run_id": "{{ run_id }}",
    "task_id": "{% if ti is defined %}{{ ti.task_id }}{% endif %}",
    "try_number": "{% if ti is defined %}{{ ti.try_number }}{% endif %}",
    "state": "{% if ti is defined %}{{ ti.state }}{% else %}{{ dag_run.state }}{% endif %}",
    "error": "{% if exception is defined %}{{ exception }}{% endif %}",
    "logical_date": "{{ logical_date }}",
    "run_url": "{{ run_url }}",
}


def sign(secret: str, body: bytes) -> str:
    """The value of the signature header for ``body``."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


class WebhookNotifier(BaseNotifier):
    template_fields: ClassVar[tuple[str, ...]] = ("url", "payload")

    def __init__(
        self,
        url: str | None = None,
        *,
        http_conn_id: str | None = None,
        secret: str | None = None,
        payload: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 10.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not url and not http_conn_id:
            raise ValueError(f"{type(self).__name__}: pass url= or http_conn_id=")
        self.url = url
        self.http_conn_id = http_conn_id
        self.secret = secret
        self.payload = DEFAULT_PAYLOAD if payload is None else payload
        self.headers = dict(headers or {})
        self.timeout = timeout

    def notify(self, context: dict[str, Any]) -> None:
        url, secret = self._target()
        body = json.dumps(self.payload, sort_keys=True, default=str).encode()
        headers = {"Content-Type": "application/json", **self.headers}
        if secret:
            mask_secret(secret)
            headers[SIGNATURE_HEADER] = sign(secret, body)
            headers[TIMESTAMP_HEADER] = str(int(time.time()))
        response = requests.post(url, data=body, headers=headers, timeout=self.timeout)
        if not 200 <= response.status_code < 300:
            raise RuntimeError(
                f"POST {_safe(url)} answered {response.status_code}: {response.text[:200]}"
            )

    def _target(self) -> tuple[str, str | None]:
        """The URL (``url``, else the connection's host + schema path) and the secret."""
        secret = self.secret
        url = self.url
        if self.http_conn_id:
            conn = BaseHook.get_connection(self.http_conn_id)
            secret = secret or conn.password
            if not url:
                url = _conn_url(conn)
        assert url
        return url, secret


def _conn_url(conn: Any) -> str:
    host = conn.host or ""
    if "://" not in host:
        scheme = conn.conn_type if conn.conn_type in ("http", "https") else "https"
        host = f"{scheme}://{host}"
    if conn.port:
        host = f"{host.rstrip('/')}:{conn.port}"
    path = conn.schema or conn.extra_dejson.get("endpoint", "")
    return f"{host.rstrip('/')}/{path.lstrip('/')}" if path else host


def _safe(url: str) -> str:
    """The URL without its query (Slack's and others' webhook URLs carry a token there)."""
    return url.split("?", 1)[0]
