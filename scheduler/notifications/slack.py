"""``SlackWebhookNotifier``: a message to a Slack incoming webhook (or any service that
takes Slack's ``{"text": ..., "blocks": [...]}``: Mattermost, Rocket.Chat, Discord's
``/slack`` endpoint).

The webhook URL is a secret (its path is the token): give ``slack_webhook_conn_id`` (the
connection's password, or host, holds the URL, as Airflow's Slack webhook connection) or
``webhook_url``; the URL never appears in logs.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

import requests

from scheduler.connections import BaseHook
from scheduler.masking import mask_secret
from scheduler.notifications.base import BaseNotifier

DEFAULT_TEXT = (
    ":red_circle: {% if ti is defined %}Task *{{ ti.task_id }}* of {% endif %}"
    "DAG *{{ dag.dag_id }}* run `{{ run_id }}` is "
    "{% if ti is defined %}{{ ti.state }}{% else %}{{ dag_run.state }}{% endif %}"
    "{% if exception is defined %}: {{ exception }}{% endif %} <{{ run_url }}|open the run>"
)


class SlackWebhookNotifier(BaseNotifier):
    template_fields: ClassVar[tuple[str, ...]] = ("text", "blocks", "username", "icon_emoji")

    def __init__(
        self,
        *,
        slack_webhook_conn_id: str | None = None,
        webhook_url: str | None = None,
        text: str = DEFAULT_TEXT,
        blocks: list[dict[str, Any]] | None = None,
        username: str | None = None,
        icon_emoji: str | None = None,
        timeout: float = 10.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not slack_webhook_conn_id and not webhook_url:
            raise ValueError("SlackWebhookNotifier: pass slack_webhook_conn_id= or webhook_url=")
        self.slack_webhook_conn_id = slack_webhook_conn_id
        self.webhook_url = webhook_url
        self.text = text
        self.blocks = blocks
        self.username = username
        self.icon_emoji = icon_emoji
        self.timeout = timeout

    def notify(self, context: dict[str, Any]) -> None:
        url = self._url()
        mask_secret(url)
        body: dict[str, Any] = {"text": self.text}
        for name in ("blocks", "username", "icon_emoji"):
            if getattr(self, name):
                body[name] = getattr(self, name)
        response = requests.post(
            url,
            data=json.dumps(body),
            headers={"Content-Type": "application/json"},
            timeout=self.timeout,
        )
        if not 200 <= response.status_code < 300:
            raise RuntimeError(
                f"the Slack webhook answered {response.status_code}: {response.text[:200]}"
            )

    def _url(self) -> str:
        if self.webhook_url:
            return self.webhook_url
        assert self.slack_webhook_conn_id
        conn = BaseHook.get_connection(self.slack_webhook_conn_id)
        url = conn.password or conn.host or ""
        if not url.startswith("http"):
            url = f"https://hooks.slack.com/services/{url.lstrip('/')}"
        return url
