"""The device cookie (OWASP's "device cookies"): this browser logged in as that user before.

Set on every successful login; presented at the next one, it exempts the attempt from the
login throttle's per-account and per-source limits (``scheduler/store/login_throttle.py``),
so an attacker who keeps failing as ``admin`` cannot keep the real admin out. It is signed
with the web UI's secret key (a forged or edited one is ignored), names the user (it does
not help with another account), carries a random nonce its own failures are counted
under, and is sent only to ``/auth`` (HttpOnly, SameSite=Lax, Secure over HTTPS).
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.wrappers import Response

DEVICE_COOKIE = "baton_device"
MAX_AGE = timedelta(days=365)
_SALT = "baton-device-cookie"


def device_nonce(username: str) -> str | None:
    """The nonce of this request's device cookie if it is valid and names ``username``."""
    cookie = request.cookies.get(DEVICE_COOKIE)
    if not cookie:
        return None
    try:
        data = _serializer().loads(cookie, max_age=int(MAX_AGE.total_seconds()))
    except BadSignature:  # forged, edited, signed with an old key, or expired
        return None
    if not isinstance(data, dict) or data.get("u") != _name(username):
        return None
    nonce = data.get("n")
    return nonce if isinstance(nonce, str) else None


def remember_device(response: Response, username: str, nonce: str | None) -> None:
    """Give the browser (again) a device cookie for ``username``; a new nonce if none."""
    value = _serializer().dumps({"u": _name(username), "n": nonce or secrets.token_urlsafe(16)})
    response.set_cookie(
        DEVICE_COOKIE,
        value,
        max_age=int(MAX_AGE.total_seconds()),
        path="/auth",
        httponly=True,
        samesite="Lax",
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")) or request.is_secure,
    )


def _name(username: str) -> str:
    return username.strip().lower()


def _serializer() -> URLSafeTimedSerializer:
    secret = current_app.secret_key
    if not secret:  # create_app always sets one (webui/security.py)
        raise RuntimeError("the web UI has no SECRET_KEY; start it with webui.create_app()")
    return URLSafeTimedSerializer(secret, salt=_SALT)
