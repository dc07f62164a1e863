"""``HttpOperator``: call an HTTP endpoint as a task (Airflow's ``HttpOperator``).

    HttpOperator(
        task_id="create_invoice",
        http_conn_id="billing",
        endpoint="invoices/{{ ds_nodash }}",
        data={"order": "{{ params.order_id }}"},   # a dict is sent as a JSON body
        response_check=lambda response: response.json()["status"] == "created",
    )

The response's JSON (its text when it is not JSON), or ``response_filter(response)``, is the
XCom. Every attempt of every try carries the same ``Idempotency-Key``: the task instance's
``dag_id/run_id/task_id[/map_index]`` (the try number goes in ``Baton-Try-Number``), or the
key you give, as ``idempotency_key="order-{{ params.order_id }}"`` or as an
``Idempotency-Key`` in ``headers`` — never replaced. Connection errors, timeouts, 5xx and 429
are retried within the try (``max_attempts``, exponential backoff with jitter,
``Retry-After`` honoured), then the task's own ``retries`` apply.

``is_business_error=lambda response: ...`` says which answers are business errors (a payment
declined, as a 500 or as a 200 with ``"status": "declined"``): the task fails with
``HttpBusinessError`` without being retried (the same request would be refused again), and
the connection's circuit breaker
does not count it (it counts only outages: no answer, or a ``breaker_failure_statuses``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import requests

from plugins.http.hook import IDEMPOTENCY_HEADER, BusinessErrorCheck, HttpHook
from plugins.http.retry import RETRY_STATUSES, HttpRetryPolicy
from scheduler import BaseOperator
from scheduler.errors import DagDefinitionError, TaskExecutionError
from scheduler.masking import redact

ResponseCheck = Callable[..., bool]
ResponseFilter = Callable[..., Any]


class HttpOperator(BaseOperator):
    """Call ``endpoint`` on ``http_conn_id``'s service; see the module docstring."""

    template_fields: Sequence[str] = ("endpoint", "data", "headers", "idempotency_key")
    template_ext: Sequence[str] = ()
    ui_color = "#f4a460"

    def __init__(
        self,
        *,
        endpoint: str | None = None,
        method: str = "POST",
        data: Any = None,
        headers: Mapping[str, str] | None = None,
        http_conn_id: str = HttpHook.default_conn_name,
        response_check: ResponseCheck | None = None,
        response_filter: ResponseFilter | None = None,
        extra_options: Mapping[str, Any] | None = None,
        timeout: float | None = None,
        max_attempts: int = 3,
        retry_backoff: float = 1.0,
        max_retry_backoff: float = 60.0,
        retry_statuses: Sequence[int] = tuple(sorted(RETRY_STATUSES)),
        log_response: bool = False,
        idempotency_key: str | None = None,
        is_business_error: BusinessErrorCheck | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if idempotency_key is not None and _header_key(headers):
            raise DagDefinitionError(
                f"task '{self.task_id}': both idempotency_key= and an {IDEMPOTENCY_HEADER} "
                "header are set; give the key once",
                location=self.location,
            )
        self.idempotency_key = idempotency_key
        self.endpoint = endpoint
        self.method = method.upper()
        self.data = data
        self.headers = dict(headers or {})
        self.http_conn_id = http_conn_id
        self.response_check = response_check
        self.response_filter = response_filter
        self.extra_options = dict(extra_options or {})
        self.timeout = timeout
        self.retry_policy = HttpRetryPolicy(
            max_attempts=max_attempts,
            backoff_s=retry_backoff,
            max_backoff_s=max_retry_backoff,
            retry_statuses=frozenset(retry_statuses),
        )
        self.log_response = log_response
        self.is_business_error = is_business_error

    def hook(self, context: Mapping[str, Any]) -> HttpHook:
        # The task instance's key unless the user chose one (a header one is left in headers).
        key = self.idempotency_key or context.get("idempotency_key")
        return HttpHook(
            self.method,
            self.http_conn_id,
            retry_policy=self.retry_policy,
            timeout=self.timeout,
            idempotency_key=None if _header_key(self.headers) else key,
            try_number=context.get("try_number"),
            is_business_error=self.is_business_error,
        )

    def execute(self, context: Mapping[str, Any]) -> Any:
        response = self.hook(context).run(
            self.endpoint, self.data, self.headers, self.extra_options
        )
        if self.log_response:
            self.log.info("Response: %s", redact(response.text))
        if self.response_check is not None and not call_with_context(
            self.response_check, response, context
        ):
            raise TaskExecutionError(
                f"task '{self.task_id}': response_check returned False for {self.method} "
                f"{redact(response.url)} (HTTP {response.status_code}); fix the service or "
                "the check"
            )
        if self.response_filter is not None:
            return call_with_context(self.response_filter, response, context)
        return response_value(response)


def _header_key(headers: Mapping[str, str] | None) -> bool:
    """Whether ``headers`` carry an idempotency key (header names ignore case)."""
    return any(name.lower() == IDEMPOTENCY_HEADER.lower() for name in headers or {})


def response_value(response: requests.Response) -> Any:
    """The JSON of the response when it has some, else its text (None when empty)."""
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return response.text


def call_with_context(
    function: Callable[..., Any], response: Any, context: Mapping[str, Any]
) -> Any:
    """Call ``function(response)``, passing the context keys it names (Airflow does this)."""
    code = getattr(function, "__code__", None)
    if code is None:
        return function(response)
    names = code.co_varnames[1 : code.co_argcount + code.co_kwonlyargcount]
    wanted = {name: context[name] for name in names if name in context}
    if code.co_flags & 0x08:  # **kwargs: give it the whole context
        wanted = dict(context)
    return function(response, **wanted)
