"""Every API error is JSON ``{"error": ..., "field": ...}``, never an HTML page or a bare 500.

``ApiError`` is raised by input parsing; Baton's own errors are mapped to a status by type;
HTTP errors (unknown URL, wrong method, body too large) get JSON under ``/api/`` whichever
blueprint's handler would otherwise render them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Flask, Response, request
from werkzeug.exceptions import HTTPException, InternalServerError, MethodNotAllowed

from scheduler.errors import (
    AssetNotFoundError,
    BackfillConflictError,
    BackfillNotFoundError,
    BatonError,
    ConfLimitError,
    DagNotFoundError,
    DagVersionNotFoundError,
    DatabaseNotReadyError,
    HITLConflictError,
    HITLDetailNotFoundError,
    HITLForbiddenError,
    HITLResponseError,
    IllegalTransitionError,
    InvalidAssetEventError,
    InvalidBackfillError,
    InvalidPoolError,
    InvalidRunIdError,
    ParamValidationError,
    PoolConflictError,
    PoolNotFoundError,
    RunNotFoundError,
    TaskNotFoundError,
)
from webui.auth.responses import API_PREFIX, json_error

log = logging.getLogger(__name__)

# Baton error type → (HTTP status, the request field it is about).
_STATUS: list[tuple[type[BatonError], int, str | None]] = [
    (DagNotFoundError, 404, "dag_id"),
    (RunNotFoundError, 404, "dag_run_id"),
    (DagVersionNotFoundError, 404, "version_number"),
    (TaskNotFoundError, 404, "task_id"),
    (ParamValidationError, 400, "conf"),
    (ConfLimitError, 400, "conf"),
    (IllegalTransitionError, 409, None),
    (DatabaseNotReadyError, 503, None),
    (PoolNotFoundError, 404, "pool_name"),
    (PoolConflictError, 409, None),
    (InvalidPoolError, 400, None),
    (InvalidRunIdError, 400, "dag_run_id"),
    (AssetNotFoundError, 404, "asset_id"),
    (InvalidAssetEventError, 400, "extra"),
    (BackfillNotFoundError, 404, "backfill_id"),
    (InvalidBackfillError, 400, None),
    (BackfillConflictError, 409, None),
    (HITLDetailNotFoundError, 404, "task_id"),
    (HITLResponseError, 400, None),
    (HITLConflictError, 409, None),
    (HITLForbiddenError, 403, None),
]
# HTTP errors a client can cause, answered as JSON on API paths.
HTTP_CODES = (400, 401, 403, 404, 405, 406, 413, 415, 429, 500)


class ApiError(Exception):
    """A request the API refuses: ``status``, a message saying how to fix it, the field."""

    def __init__(self, status: int, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field


def register(bp: Blueprint) -> None:
    """Handlers for errors raised inside the API's views."""
    bp.register_error_handler(ApiError, _api_error)
    bp.register_error_handler(BatonError, _baton_error)


def _api_error(exc: ApiError) -> Response:
    return json_error(exc.status, exc.message, exc.field)


def _baton_error(exc: BatonError) -> Response:
    for kind, status, field in _STATUS:
        if isinstance(exc, kind):
            if isinstance(exc, ParamValidationError) and exc.field:
                field = f"conf.{exc.field}"  # which param of the body's conf is wrong
            if isinstance(exc, ConfLimitError) and exc.field:
                field = exc.field
            return json_error(status, str(exc), field)
    return json_error(400, str(exc))


def install_http_handlers(app: Flask) -> None:
    """JSON for HTTP errors on API paths; other paths keep whatever handler they had.

    Called after every blueprint is registered: routing errors (404, 405) belong to no
    blueprint, so the API's own handlers never see them, and a pages blueprint may have
    installed HTML handlers for the same codes.
    """
    for code in HTTP_CODES:
        previous = app.error_handler_spec[None].get(code, {})
        fallback = next(iter(previous.values()), None)
        app.register_error_handler(code, _json_on_api_paths(fallback))


def _json_on_api_paths(fallback: Callable[[Any], Any] | None) -> Callable[[Any], Any]:
    def handle(exc: HTTPException) -> Any:
        if request.path.startswith(API_PREFIX):
            return _http_error_json(exc)
        if fallback is not None:
            return fallback(exc)
        return exc

    return handle


def _http_error_json(exc: HTTPException) -> Response:
    status = exc.code or 500
    if isinstance(exc, InternalServerError):
        original = getattr(exc, "original_exception", None)
        log.error("API request %s %s failed", request.method, request.path, exc_info=original)
        return json_error(500, "internal error: the server log has the details")
    message = exc.description or exc.name
    response = json_error(status, f"{exc.name}: {message}")
    if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    return response
