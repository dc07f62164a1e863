"""``HttpSensorTrigger``: poll an HTTP endpoint from the triggerer until it answers.

The async side of ``HttpSensor(deferrable=True)`` (Airflow's name). Each poll is one call
through ``HttpHook`` (its connection, breaker and masking), made in a thread so the
triggerer's loop keeps running. A status in the allowlist (404, 429, 5xx by default), no
answer (unless ``allow_connection_errors=False``) or an open breaker is "not yet": poll
again after ``poke_interval``. Any other answer fires with the response (status, headers,
body up to 1 MB); a ``response_check``, which is a function and cannot be serialized, is
then applied on a worker, which defers again if it says "not yet".
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from scheduler.triggers import BaseTrigger, TriggerEvent

MAX_BODY = 1024 * 1024  # characters of a response body carried in the event


class HttpSensorTrigger(BaseTrigger):
    def __init__(
        self,
        endpoint: str,
        http_conn_id: str = "http_default",
        method: str = "GET",
        request_params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        extra_options: dict[str, Any] | None = None,
        request_timeout: float | None = None,
        not_yet: list[str] | None = None,
        allow_connection_errors: bool = True,
        poke_interval: float = 5.0,
        first_wait: float = 0.0,
    ) -> None:
        super().__init__()
        self.endpoint = endpoint
        self.http_conn_id = http_conn_id
        self.method = method
        self.request_params = dict(request_params or {})
        self.headers = dict(headers or {})
        self.extra_options = dict(extra_options or {})
        self.request_timeout = request_timeout
        self.not_yet = list(not_yet if not_yet is not None else ["404", "429", "5"])
        self.allow_connection_errors = allow_connection_errors
        self.poke_interval = float(poke_interval)
        self.first_wait = float(first_wait)

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            "plugins.http.triggers.HttpSensorTrigger",
            {
                "endpoint": self.endpoint,
                "http_conn_id": self.http_conn_id,
                "method": self.method,
                "request_params": self.request_params,
                "headers": self.headers,
                "extra_options": self.extra_options,
                "request_timeout": self.request_timeout,
                "not_yet": self.not_yet,
                "allow_connection_errors": self.allow_connection_errors,
                "poke_interval": self.poke_interval,
                "first_wait": self.first_wait,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        if self.first_wait > 0:
            await asyncio.sleep(self.first_wait)
        while True:
            answer = await asyncio.to_thread(self._poll)
            if answer is not None:
                yield TriggerEvent(answer)
                return
            await asyncio.sleep(self.poke_interval)

    def _poll(self) -> dict[str, Any] | None:
        from plugins.http.hook import HttpError, HttpHook
        from plugins.http.retry import HttpRetryPolicy
        from scheduler.errors import CircuitOpenError

        hook = HttpHook(
            self.method,
            self.http_conn_id,
            retry_policy=HttpRetryPolicy(max_attempts=1),
            timeout=self.request_timeout,
        )
        try:
            response = hook.run(
                self.endpoint, self.request_params, self.headers, self.extra_options
            )
        except HttpError as exc:
            if exc.status is None and self.allow_connection_errors:
                return None
            if exc.status is not None and str(exc.status).startswith(tuple(self.not_yet)):
                return None
            raise
        except CircuitOpenError:
            return None
        return {
            "status": response.status_code,
            "headers": dict(response.headers),
            "text": response.text[:MAX_BODY],
        }


def response_from_event(event: dict[str, Any]) -> Any:
    """A ``requests.Response`` rebuilt from the event, for ``response_check``."""
    import requests

    response = requests.Response()
    response.status_code = int(event["status"])
    response.headers.update(event.get("headers") or {})
    response._content = str(event.get("text") or "").encode("utf-8")
    response.encoding = "utf-8"
    return response
