"""CSRF protection for browser sessions: a random token per session, checked on every
state-changing request (form field ``csrf_token`` or header ``X-CSRF-Token``).

Requests authenticated with a Bearer token carry no cookie a third-party site could ride on,
so they need no CSRF token.
"""

from __future__ import annotations

import hmac
import secrets

from flask import request, session

SESSION_KEY = "csrf_token"
FORM_FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def csrf_token() -> str:
    """This session's CSRF token (created on first use); the Jinja global ``csrf_token()``."""
    token = session.get(SESSION_KEY)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session[SESSION_KEY] = token
    return token


def csrf_ok() -> bool:
    """Whether this request carries the session's CSRF token."""
    expected = session.get(SESSION_KEY)
    if not isinstance(expected, str):
        return False
    sent = request.headers.get(HEADER)
    if sent is None and request.mimetype in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        sent = request.form.get(FORM_FIELD)
    return sent is not None and hmac.compare_digest(sent, expected)
