"""HTTP calls of end-to-end tests to the real web UI: any method, any body, any headers;
the status, the headers and the body back, never raising for an HTTP error status."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


def call(
    method: str,
    url: str,
    body: bytes | str | None = None,
    *,
    token: str | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 30,
) -> Reply:
    data = body.encode() if isinstance(body, str) else body
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None and "Content-Type" not in request.headers:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return Reply(response.status, dict(response.headers), response.read())
    except urllib.error.HTTPError as error:
        return Reply(error.code, dict(error.headers), error.read())


def api_token(baton: Any, role: str = "Op") -> str:
    """A user of ``role`` on ``baton`` (a harness ``Baton``) and an API token for it."""
    name = f"{role.lower()}-e2e"
    baton.env["BATON_E2E_PW"] = "a-long-password-1"
    baton.cli("users", "create", "--username", name, "--role", role,
              "--password-from-env", "BATON_E2E_PW")  # fmt: skip
    return baton.cli_json("users", "tokens", "create", "--username", name, "--name", "e2e")["token"]
