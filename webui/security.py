"""Security plumbing of the app: the secret key, the session cookie, response headers.

The secret key signs session cookies. It is generated on first start into
``$BATON_HOME/webui_secret_key`` (mode 0600) and reused afterwards, so sessions survive
restarts and every gunicorn worker signs with the same key. There is no built-in default: a
key in the source code would let anyone forge a session.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

from flask import Flask, Request, Response, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

from scheduler.errors import ConfigError
from scheduler.settings import Settings

SECRET_KEY_FILE = "webui_secret_key"
_KEY_BYTES = 32

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",  # no inline script: an injected <script> cannot run
        "style-src 'self' 'unsafe-inline'",  # style attributes of charts (no code runs)
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def load_or_create_secret_key(home: Path) -> str:
    """The key in ``home/webui_secret_key``, created (0600) if missing.

    Several gunicorn workers may start at once: the key is written to a private temporary
    file and hard-linked into place, so exactly one key wins and nobody reads a half file.
    """
    path = home / SECRET_KEY_FILE
    if not path.exists():
        home.mkdir(parents=True, exist_ok=True)
        tmp = home / f".{SECRET_KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(_KEY_BYTES))
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another worker was first: use its key
        finally:
            tmp.unlink()
    key = path.read_text().strip()
    if len(key) < _KEY_BYTES:
        raise ConfigError(
            f"{path} holds a key of {len(key)} characters, too short to sign sessions; "
            "delete the file and restart the web UI to generate a new one"
        )
    return key


class _SessionInterface(SecureCookieSessionInterface):
    """Session cookie marked Secure whenever the request came over HTTPS (directly, or as
    reported by a trusted proxy when ``BATON_WEBUI_BEHIND_PROXY`` is on)."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure


def configure(app: Flask, settings: Settings) -> None:
    """Secret key, cookie flags, proxy trust and the security headers of every response."""
    if not app.config.get("SECRET_KEY"):  # tests may pass their own
        app.config["SECRET_KEY"] = load_or_create_secret_key(settings.home)
    app.config.update(
        SESSION_COOKIE_NAME="baton_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        MAX_CONTENT_LENGTH=1024 * 1024,  # no request body needs more than 1 MiB
    )
    app.session_interface = _SessionInterface()
    if settings.webui_behind_proxy:
        # Flask's documented way to add WSGI middleware; mypy flags any method assignment.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]
    app.after_request(add_security_headers)


def add_security_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if not _is_static(request):
        # Pages and API answers show a user's data: no shared or back-button cache.
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def _is_static(req: Request) -> bool:
    return req.endpoint == "static"
