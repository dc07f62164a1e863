"""``HttpHook``: the HTTP client of one connection (Airflow's ``HttpHook``), with requests.

The connection gives the base URL (``host``, or ``schema://host:port`` where ``schema`` is
``http`` or ``https`` as in Airflow), basic auth (``login``/``password``), a bearer token
(extra ``token`` or ``bearer_token``), headers (extra ``headers``, plus any other string
extra, as Airflow does), ``timeout`` and ``verify``. Every call goes through the
connection's circuit breaker (``breaker_*`` extras), waits for a token of the connection's
``rate_limit`` extra when it has one (``scheduler.ratelimit``) — or, on a connection with
``{"adaptive": true}``, for its turn at the adaptive rate, which each answer adjusts (a 429 or
5xx lowers it, its ``Retry-After`` pauses it; ``scheduler.throttle``) — and is retried within
the try per ``HttpRetryPolicy``. An ``idempotency_key`` is sent as the ``Idempotency-Key`` header on
every attempt (unless the call's own ``headers`` carry one, which is never replaced), so the
service can recognise a repeated call; ``try_number``, when given, goes in a header of its
own, ``Baton-Try-Number``, so that the key stays the same from one try to the next.

The breaker counts only what signals an outage: no answer (a connection error, a timeout,
the try's ``execution_timeout`` cutting the call) and a status in the connection's
``breaker_failure_statuses`` (429, 502, 503, 504 by default). A response that
``is_business_error(response)`` classifies as a business error (a payment declined, even as
a 500) is an answer: the breaker counts the service as up, and the call fails with
``HttpBusinessError`` without being retried, within the try or by the task's retries.

Headers and credentials are never logged: the log shows the method, URL and status only.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from typing import Any

import requests

from plugins.http.retry import HttpRetryPolicy, parse_retry_after
from scheduler.breakers import CircuitBreaker
from scheduler.connections import BaseHook, Connection
from scheduler.errors import BatonError, BatonFailException, BatonTaskTimeout
from scheduler.masking import redact

_OPTION_KEYS = {"token", "bearer_token", "headers", "timeout", "verify", "proxies", "cert"}
_BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
_SNIPPET = 300  # characters of an error body quoted in a message
IDEMPOTENCY_HEADER = "Idempotency-Key"
TRY_NUMBER_HEADER = "Baton-Try-Number"


class HttpError(BatonError):
    """An HTTP call failed: a status the caller does not accept, or no answer at all."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class HttpBusinessError(HttpError, BatonFailException):
    """The service answered, with a response the caller classifies as a business error
    (``is_business_error``): not an outage, so the breaker does not count it, and the same
    request would get the same answer, so the task fails without retrying (Airflow's
    ``AirflowFailException``)."""


BusinessErrorCheck = Callable[[requests.Response], bool]


class HttpHook(BaseHook):
    """Call ``endpoint`` of the connection's service with ``run``; see the module docstring."""

    conn_name_attr = "http_conn_id"
    default_conn_name = "http_default"
    conn_type = "http"
    hook_name = "HTTP"

    def __init__(
        self,
        method: str = "POST",
        http_conn_id: str = default_conn_name,
        *,
        retry_policy: HttpRetryPolicy | None = None,
        timeout: float | None = None,
        idempotency_key: str | None = None,
        try_number: int | None = None,
        is_business_error: BusinessErrorCheck | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__()
        self.method = method.upper()
        self.http_conn_id = http_conn_id
        self.retry_policy = retry_policy or HttpRetryPolicy()
        self.timeout = timeout
        self.idempotency_key = idempotency_key
        self.try_number = try_number
        self.is_business_error = is_business_error
        self._sleep = sleep
        self._conn: Connection | None = None
        self._breaker: CircuitBreaker | None = None

    # -- the connection -------------------------------------------------------------------

    @property
    def connection(self) -> Connection:
        if self._conn is None:
            self._conn = self.get_connection(self.http_conn_id)
        return self._conn

    @property
    def breaker(self) -> CircuitBreaker:
        if self._breaker is None:
            self._breaker = CircuitBreaker.for_connection(self.connection)
        return self._breaker

    @property
    def base_url(self) -> str:
        conn = self.connection
        host = (conn.host or "").rstrip("/")
        if not host:
            raise HttpError(
                f"connection '{conn.conn_id}' has no host; set it, e.g. "
                f"BATON_CONN_{conn.conn_id.upper()}=http://api.example.com:8080"
            )
        if "://" not in host:
            host = f"{conn.schema or 'http'}://{host}"
        return f"{host}:{conn.port}" if conn.port else host

    def url_for(self, endpoint: str | None) -> str:
        if endpoint and "://" in endpoint:
            return endpoint
        return f"{self.base_url}/{(endpoint or '').lstrip('/')}"

    def get_conn(self, headers: Mapping[str, str] | None = None) -> requests.Session:
        """A ``requests.Session`` with the connection's auth, headers and TLS settings."""
        conn, extra = self.connection, self.connection.extra_dejson
        session = requests.Session()
        if conn.login:
            session.auth = (conn.login, conn.password or "")
        session.headers.update(_extra_headers(extra))
        token = extra.get("bearer_token") or extra.get("token")
        if token:
            session.headers["Authorization"] = f"Bearer {token}"
        if "verify" in extra:
            session.verify = _as_bool(extra["verify"])
        if self.idempotency_key:
            session.headers[IDEMPOTENCY_HEADER] = self.idempotency_key
        if self.try_number is not None:
            session.headers[TRY_NUMBER_HEADER] = str(self.try_number)
        if headers:  # last: a key the caller set is honoured, never replaced
            session.headers.update(headers)
        return session

    def request_timeout(self) -> float:
        if self.timeout is not None:
            return self.timeout
        return float(self.connection.extra_dejson.get("timeout", 60))

    def test_connection(self) -> tuple[bool, str]:
        """GET the base URL once (``baton connections test``): any answer below 500 is up."""
        with self.get_conn() as session:
            response = session.get(self.base_url, timeout=self.request_timeout())
        ok = response.status_code < 500
        return ok, f"GET {redact(self.base_url)} answered {response.status_code} {response.reason}"

    # -- calling --------------------------------------------------------------------------

    def run(
        self,
        endpoint: str | None = None,
        data: Any = None,
        headers: Mapping[str, str] | None = None,
        extra_options: Mapping[str, Any] | None = None,
        **request_kwargs: Any,
    ) -> requests.Response:
        """Call the endpoint, retrying per the policy; an unaccepted status raises ``HttpError``.

        ``extra_options={"check_response": False}`` returns any response, as in Airflow.
        """
        options = dict(extra_options or {})
        check = bool(options.pop("check_response", True))
        url = self.url_for(endpoint)
        kwargs = {**_body(self.method, data), **options, **request_kwargs}
        with self.get_conn(headers) as session:
            response, business = self._call_with_retries(session, url, kwargs)
        if check and business:
            raise HttpBusinessError(
                f"{self.method} {redact(response.url)} answered {response.status_code} "
                f"{response.reason}, a business error per is_business_error (not retried, "
                f"not counted by the circuit breaker): {_snippet(response)}",
                status=response.status_code,
            )
        if check:
            self.check_response(response)
        return response

    def check_response(self, response: requests.Response) -> None:
        """Raise ``HttpError`` for a 4xx/5xx status (Airflow's ``check_response``)."""
        if response.status_code >= 400:
            raise HttpError(
                f"{self.method} {redact(response.url)} answered {response.status_code} "
                f"{response.reason}: {_snippet(response)}",
                status=response.status_code,
            )

    def _call_with_retries(
        self, session: requests.Session, url: str, kwargs: dict[str, Any]
    ) -> tuple[requests.Response, bool]:
        """The last response, and whether it is a business error (an answer to keep)."""
        policy = self.retry_policy
        for attempt in range(1, policy.max_attempts + 1):
            last = attempt == policy.max_attempts
            self.log.info(
                "%s %s (attempt %d of %d)", self.method, redact(url), attempt, policy.max_attempts
            )
            try:
                response, business = self._attempt(session, url, kwargs)
            except requests.RequestException as exc:
                if last:
                    raise self._unreachable(url, attempt, exc) from None
                self._wait(attempt, None, f"{type(exc).__name__}: {exc}")
                continue
            if last or business or not policy.should_retry_status(response.status_code):
                return response, business
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            self._check_retry_after(url, response, retry_after)
            self._wait(attempt, retry_after, f"HTTP {response.status_code}")
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _attempt(
        self, session: requests.Session, url: str, kwargs: dict[str, Any]
    ) -> tuple[requests.Response, bool]:
        """One call through the breaker, which counts it as failed only for an outage: no
        answer, or an outage status that is not a business error."""
        policy = self.breaker.policy
        # every attempt is a call the service sees: it waits for its turn and is judged
        with (
            self.throttled_call(self.connection, is_overload=_is_service_failure) as turn,
            self.breaker.guard(is_failure=_is_service_failure) as call,
        ):
            response = session.request(self.method, url, timeout=self.request_timeout(), **kwargs)
            business = bool(self.is_business_error and self.is_business_error(response))
            status = f"HTTP {response.status_code} {response.reason}"
            if policy.is_outage_status(response.status_code) and not business:
                call.mark_failure(status)
            if turn.is_overload_status(response.status_code) and not business:
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
                turn.overloaded(status, retry_after_s=retry_after)
        kind = " (a business error)" if business else ""
        self.log.info("%s %s answered %d%s", self.method, redact(url), response.status_code, kind)
        return response, business

    def _wait(self, attempt: int, retry_after: float | None, reason: str) -> None:
        delay = self.retry_policy.delay_s(attempt, retry_after)
        hint = f" (Retry-After {retry_after:g} s)" if retry_after is not None else ""
        self.log.warning("%s; retrying in %.2f s%s", redact(reason), delay, hint)
        self._sleep(delay)

    def _check_retry_after(
        self, url: str, response: requests.Response, retry_after: float | None
    ) -> None:
        limit = self.retry_policy.max_retry_after_s
        if retry_after is not None and retry_after > limit:
            raise HttpError(
                f"{self.method} {redact(url)} answered {response.status_code} with Retry-After "
                f"{retry_after:g} s, longer than max_retry_after_s={limit:g}; the try ends "
                "here and the task's retries apply (raise max_retry_after_s to wait instead)",
                status=response.status_code,
            )

    def _unreachable(self, url: str, attempts: int, exc: Exception) -> HttpError:
        return HttpError(
            f"{self.method} {redact(url)} got no answer after {attempts} attempt(s): "
            f"{type(exc).__name__}: {redact(str(exc))}; check that the service is up and the "
            f"connection '{self.http_conn_id}' points at it"
        )


def _is_service_failure(exc: BaseException) -> bool:
    """No answer: a connection error, a timeout, or the try's timeout cutting the call."""
    return isinstance(exc, requests.RequestException | BatonTaskTimeout)


def _body(method: str, data: Any) -> dict[str, Any]:
    if data is None:
        return {}
    if method not in _BODY_METHODS:
        return {"params": data}
    if isinstance(data, dict | list):
        return {"json": data}
    return {"data": data}


def _extra_headers(extra: Mapping[str, Any]) -> dict[str, str]:
    declared = extra.get("headers") or {}
    if isinstance(declared, str):  # from a URI, every extra is text
        try:
            declared = json.loads(declared)
        except ValueError:
            raise HttpError(
                f"the connection extra 'headers' is not a JSON object: {declared[:80]!r}; "
                'write it as {"X-Name": "value"}'
            ) from None
    headers = dict(declared)
    for key, value in extra.items():
        if key in _OPTION_KEYS or key.startswith(("breaker_", "retry_", "rate_limit", "adaptive")):
            continue
        if isinstance(value, str):
            headers[key] = value
    return headers


def _as_bool(value: Any) -> bool:
    return value if isinstance(value, bool) else str(value).lower() in ("1", "true", "yes")


def _snippet(response: requests.Response) -> str:
    text = response.text or "(empty body)"
    if len(text) > _SNIPPET:
        text = f"{text[:_SNIPPET]}..."
    return redact(text)
