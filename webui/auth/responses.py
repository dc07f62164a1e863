"""How a refused request is answered: JSON for the API and scripts, a page or a redirect to
the login page for browsers."""

from __future__ import annotations

from flask import Response, abort, jsonify, redirect, request, url_for
from werkzeug.wrappers import Response as BaseResponse  # what redirect() returns

API_PREFIX = "/api/"
# Scrapers and scripts read these with a token; a redirect to an HTML form helps nobody.
_MACHINE_PATHS = ("/metrics",)


def json_error(status: int, message: str, field: str | None = None) -> Response:
    """``{"error": message, "field": field}`` with ``status``: every API error looks like this."""
    body: dict[str, str] = {"error": message}
    if field is not None:
        body["field"] = field
    response = jsonify(body)
    response.status_code = status
    return response


def wants_json() -> bool:
    """API paths, machine endpoints and any request that sent a Bearer token get JSON."""
    return (
        request.path.startswith(API_PREFIX)
        or request.path in _MACHINE_PATHS
        or "Authorization" in request.headers
        or request.accept_mimetypes.best == "application/json"
    )


def unauthenticated() -> BaseResponse:
    """401 JSON (with a Bearer challenge) for machines, a redirect to the login page else."""
    if wants_json():
        response = json_error(
            401,
            "authentication required: send 'Authorization: Bearer <token>' with a token from "
            "/auth/tokens (a missing, revoked or mistyped token gives this error too)",
        )
        response.headers["WWW-Authenticate"] = 'Bearer realm="baton"'
        return response
    target = request.full_path if request.query_string else request.path
    return redirect(url_for("auth.login", next=target))


def forbidden(message: str) -> Response:
    if wants_json():
        return json_error(403, message)
    abort(403, description=message)


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site, else None (no open redirect to another host)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target
