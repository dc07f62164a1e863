"""``HttpSensor``: wait until an HTTP endpoint answers as expected (Airflow's ``HttpSensor``).

Each poke is one call (no retries within a poke: the next poke is the retry). A 404 means
"not yet"; any other 4xx/5xx fails the try, as in Airflow. While the connection's circuit
breaker is open the poke does not call the service and counts as "not yet".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from plugins.http.hook import HttpError, HttpHook
from plugins.http.operators import ResponseCheck, call_with_context
from plugins.http.retry import HttpRetryPolicy
from scheduler import BaseSensorOperator
from scheduler.errors import CircuitOpenError
from scheduler.masking import redact


class HttpSensor(BaseSensorOperator):
    """Poke ``endpoint`` until it answers (and ``response_check`` agrees)."""

    template_fields: Sequence[str] = ("endpoint", "request_params", "headers")

    def __init__(
        self,
        *,
        endpoint: str,
        http_conn_id: str = HttpHook.default_conn_name,
        method: str = "GET",
        request_params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        response_check: ResponseCheck | None = None,
        extra_options: Mapping[str, Any] | None = None,
        request_timeout: float | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.endpoint = endpoint
        self.http_conn_id = http_conn_id
        self.method = method.upper()
        self.request_params = dict(request_params or {})
        self.headers = dict(headers or {})
        self.response_check = response_check
        self.extra_options = dict(extra_options or {})
        self.request_timeout = request_timeout

    def poke(self, context: Mapping[str, Any]) -> bool:
        hook = HttpHook(
            self.method,
            self.http_conn_id,
            retry_policy=HttpRetryPolicy(max_attempts=1),
            timeout=self.request_timeout,
            idempotency_key=context.get("idempotency_key"),
        )
        self.log.info("Poking: %s", redact(self.endpoint))
        try:
            response = hook.run(
                self.endpoint, self.request_params, self.headers, self.extra_options
            )
        except HttpError as exc:
            if exc.status == 404:
                return False
            raise
        except CircuitOpenError as exc:
            self.log.info("Not poking: %s", exc)
            return False
        if self.response_check is not None:
            return bool(call_with_context(self.response_check, response, context))
        return True
