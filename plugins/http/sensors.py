"""``HttpSensor``: wait until an HTTP endpoint answers as expected (Airflow's ``HttpSensor``).

Each poke is one call (no retries within a poke: the next poke is the retry). What means
"not yet" rather than a failed try:

* a status in ``response_error_codes_allowlist`` (Airflow's argument: status codes as text,
  matched as prefixes as Airflow matches its error message, so ``"5"`` is every 5xx). Its
  default here is 404, 429 and every 5xx: a service that is starting, overloaded or
  restarting is not ready yet. ``["404"]`` is Airflow's default; ``[]`` fails on any error
  status. ``extra_options={"check_response": False}`` hands every response, whatever its
  status, to ``response_check`` (as in Airflow).
* no answer at all (connection refused, a timeout, DNS), unless
  ``allow_connection_errors=False``, which fails the try at once as Airflow does;
* the connection's circuit breaker being open: the poke does not call the service.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from plugins.http.hook import HttpError, HttpHook
from plugins.http.operators import ResponseCheck, call_with_context
from plugins.http.retry import HttpRetryPolicy
from scheduler import BaseSensorOperator
from scheduler.errors import CircuitOpenError, DagDefinitionError
from scheduler.masking import redact

#: What a poke takes for "not yet" unless told otherwise: not found, too many requests, and
#: every server error (status prefixes, as in ``response_error_codes_allowlist``).
DEFAULT_NOT_YET = ("404", "429", "5")


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
        response_error_codes_allowlist: Sequence[str | int] | None = None,
        allow_connection_errors: bool = True,
        deferrable: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.deferrable = bool(deferrable)
        self.response_error_codes_allowlist = _allowlist(
            self.task_id, response_error_codes_allowlist, self.location
        )
        self.allow_connection_errors = allow_connection_errors
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
            if not self._not_yet(exc):
                raise
            self.log.info("Not yet: %s", exc)
            return False
        except CircuitOpenError as exc:
            self.log.info("Not poking: %s", exc)
            return False
        if self.response_check is not None:
            return bool(call_with_context(self.response_check, response, context))
        return True

    def execute(self, context: Mapping[str, Any]) -> Any:
        """Deferrable: one poke here; then the triggerer polls (``HttpSensorTrigger``)."""
        if not self.deferrable:
            return super().execute(context)
        if self.poke(context):
            return None
        self._defer(first_wait=0.0)

    def _defer(self, first_wait: float) -> None:
        from datetime import timedelta

        from plugins.http.triggers import HttpSensorTrigger

        self.defer(
            trigger=HttpSensorTrigger(
                endpoint=self.endpoint,
                http_conn_id=self.http_conn_id,
                method=self.method,
                request_params=self.request_params,
                headers=self.headers,
                extra_options=self.extra_options,
                request_timeout=self.request_timeout,
                not_yet=list(self.response_error_codes_allowlist),
                allow_connection_errors=self.allow_connection_errors,
                poke_interval=self.poke_interval,
                first_wait=first_wait,
            ),
            method_name="execute_complete",
            timeout=timedelta(seconds=self.timeout),
        )

    def execute_complete(self, context: Mapping[str, Any], event: Any = None) -> None:
        """The endpoint answered: ``response_check`` decides here (a function cannot go to
        the triggerer); "not yet" defers again, polling after ``poke_interval``."""
        from plugins.http.triggers import response_from_event

        self.log.info("The endpoint answered %s", event.get("status"))
        if self.response_check is None:
            return None
        response = response_from_event(event)
        if call_with_context(self.response_check, response, context):
            return None
        self.log.info("response_check says not yet: deferring again")
        self._defer(first_wait=self.poke_interval)

    def _not_yet(self, error: HttpError) -> bool:
        if error.status is None:  # no answer: refused, timed out, unresolvable
            return self.allow_connection_errors
        return str(error.status).startswith(self.response_error_codes_allowlist)


def _allowlist(
    task_id: str, codes: Sequence[str | int] | None, location: str | None
) -> tuple[str, ...]:
    if codes is None:
        return DEFAULT_NOT_YET
    if isinstance(codes, str | int):
        raise DagDefinitionError(
            f"task '{task_id}': response_error_codes_allowlist={codes!r} must be a list, "
            f'e.g. ["404", "503"]',
            location=location,
        )
    found = tuple(str(code).strip() for code in codes)
    bad = [code for code in found if not (code.isdigit() and len(code) <= 3)]
    if bad:
        raise DagDefinitionError(
            f"task '{task_id}': response_error_codes_allowlist has {bad!r}, which are not HTTP "
            'status codes; write codes such as "404" or a prefix such as "5" (every 5xx)',
            location=location,
        )
    return found
