"""XCom holding a secret: masked wherever it is shown, encrypted where it is kept.

A task that returns or pushes a connection's password (or a value under a key such as
``"password"`` or ``"api_key"``) must not put it in cleartext in the ``xcom`` table, the web
UI, the REST API or the CLI, which all read the stored ``value``. Masking alone would break
the DAG: in Airflow ``xcom_pull`` hands the downstream task what was pushed, and a task that
fetches a token for the next one is a common pattern. So the worker that pushes it:

- stores ``value`` with every secret replaced by ``***`` (the form everything else reads: the
  UI, the API, the CLI, the Engine counting mapped items, all see only the mask);
- and sends the original along as a Fernet token (the key that encrypts connections,
  ``scheduler/connections/crypto.py``), stored in the ``sealed`` column.

Only a worker decrypts it, for ``xcom_pull``; it then registers the secrets with its own
masker, so the downstream task's log and rendered fields show ``***`` too, although that
worker never read the connection itself.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from cryptography.fernet import MultiFernet

from scheduler.connections.crypto import get_fernet
from scheduler.masking import is_sensitive_key, mask_secret, redact_value, secrets_in
from scheduler.settings import Settings
from scheduler.store.xcom import SealedXCom

RETURN_VALUE_KEY = "return_value"


def register_pushed(key: str, value: Any) -> None:
    """Mask, from now on, the values a push names as secret (under a key like
    ``"password"``), so that the try's own log lines hide them too."""
    for secret in _secrets_of(value, _name(key)):
        mask_secret(secret)


def seal(key: str, text: str) -> tuple[str, str | None]:
    """``(shown_json, token)`` for XCom ``key`` serialised as ``text``: the JSON with secrets
    masked, and the encrypted original, or ``None`` when nothing was masked."""
    value = json.loads(text)
    name = _name(key)
    shown = json.dumps(redact_value(value, name))
    if shown == text:
        return text, None
    secrets = sorted(_secrets_of(value, name))
    payload = json.dumps({"value": value, "secrets": secrets})
    return shown, _fernet().encrypt(payload.encode()).decode()


def unseal(value: Any) -> Any:
    """The original of a ``SealedXCom`` (its secrets masked in this process from now on);
    any other value as it is, without looking inside it (a list of 10,000 items pulled by
    each mapped instance must cost nothing here)."""
    if not isinstance(value, SealedXCom):
        return value
    data = json.loads(_fernet().decrypt(value.token.encode()))
    mask_secret(data["secrets"])
    return data["value"]


def unseal_each(values: list[Any]) -> list[Any]:
    """The values of a mapped task's instances, each unsealed."""
    return [unseal(value) for value in values]


def _name(key: str) -> str | None:
    # ``return_value`` names no secret; a pushed key such as "db_password" does.
    return None if key == RETURN_VALUE_KEY else key


def _secrets_of(value: Any, key: str | None = None) -> set[str]:
    """The secret strings inside ``value``: known ones, and whole values under a sensitive
    key (what ``redact_value`` replaces)."""
    if key is not None and is_sensitive_key(key) and value not in (None, ""):
        return set(_leaves(value))
    if isinstance(value, str):
        return secrets_in(value)
    if isinstance(value, Mapping):
        return set().union(*(_secrets_of(v, str(k)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return set().union(*(_secrets_of(v) for v in value))
    return set()


def _leaves(value: Any) -> list[str]:
    if isinstance(value, Mapping):
        return [leaf for item in value.values() for leaf in _leaves(item)]
    if isinstance(value, list | tuple):
        return [leaf for item in value for leaf in _leaves(item)]
    return [] if value is None or isinstance(value, bool) else [str(value)]


def _fernet() -> MultiFernet:
    return _fernet_for(Settings.from_env())


@lru_cache(maxsize=4)
def _fernet_for(settings: Settings) -> MultiFernet:
    # Cached per settings (a frozen dataclass): a worker reuses one, tests switch homes.
    return get_fernet(settings)
