"""The global gate: every request is authenticated and CSRF-checked before its view runs.

Enforced in ``before_request`` rather than by decorators alone, so a page someone forgets to
decorate is still protected. Only PUBLIC_ENDPOINTS are reachable without logging in.
"""

from __future__ import annotations

from flask import request
from werkzeug.wrappers import Response  # what redirect() returns; flask's is a subclass

from webui.auth.csrf import UNSAFE_METHODS, csrf_ok
from webui.auth.identity import load_user
from webui.auth.responses import forbidden, unauthenticated

PUBLIC_ENDPOINTS = frozenset({"static", "auth.login", "health.health", "webhooks.receive_webhook"})
"""Endpoints served without a login: static files, the login form, the health check and the
inbound webhooks (authenticated by their HMAC signature instead, ``webui/hooks.py``)."""

_CSRF_MESSAGE = (
    "missing or wrong CSRF token: reload the page and submit again (scripts should use "
    "'Authorization: Bearer <token>' instead of a session cookie)"
)


def enforce() -> Response | None:
    """``before_request`` hook: None to let the request through, else the refusal."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        if request.endpoint == "auth.login":
            load_user()  # a logged-in user is sent on from the login page
            if request.method in UNSAFE_METHODS and not csrf_ok():
                return forbidden(_CSRF_MESSAGE)
        return None
    user = load_user()
    if user is None:
        return unauthenticated()
    if request.method in UNSAFE_METHODS and user.via == "session" and not csrf_ok():
        return forbidden(_CSRF_MESSAGE)
    return None
