"""``Webhook``: a DAG's inbound webhook, ``POST /hooks/<name>``, for third parties.

    DAG("payments", webhooks=[Webhook("stripe_payments", secret_conn_id="stripe_webhook")])

A delivery's JSON body becomes the run's conf. The caller signs it with HMAC-SHA256 under
the password of the connection ``secret_conn_id`` (the secret lives with the other secrets,
Fernet-encrypted, never in the DAG file); see docs/events.md, "Webhooks and synchronous runs".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from scheduler.errors import DagDefinitionError

_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")


@dataclass(frozen=True)
class Webhook:
    """One inbound webhook: its URL's ``name`` and the connection holding its secret."""

    name: str
    secret_conn_id: str

    def to_spec(self) -> dict[str, str]:
        return {"name": self.name, "secret_conn_id": self.secret_conn_id}


def check_webhooks(
    value: Iterable[Any] | None, where: str, location: str | None
) -> tuple[Webhook, ...]:
    """The DAG's ``webhooks=``: Webhook objects with URL-safe, distinct names."""
    hooks = tuple(value or ())
    seen: set[str] = set()
    for hook in hooks:
        if not isinstance(hook, Webhook):
            raise DagDefinitionError(
                f"{where}: webhooks= takes Webhook(name, secret_conn_id=...) objects, got "
                f"{type(hook).__name__}",
                location,
            )
        if not _NAME.fullmatch(hook.name):
            raise DagDefinitionError(
                f"{where}: webhook name {hook.name!r} must be 1 to 100 letters, digits, "
                "'_', '.' or '-' (it is part of the URL /hooks/<name>)",
                location,
            )
        if not isinstance(hook.secret_conn_id, str) or not hook.secret_conn_id:
            raise DagDefinitionError(
                f"{where}: webhook {hook.name!r} needs secret_conn_id, the connection whose "
                "password is the signing secret",
                location,
            )
        if hook.name in seen:
            raise DagDefinitionError(f"{where}: two webhooks are named {hook.name!r}", location)
        seen.add(hook.name)
    return hooks
