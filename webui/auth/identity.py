"""Who is making this request: a browser session or an ``Authorization: Bearer`` token.

The user is looked up in the database on every request, so deleting a user (or revoking a
token) takes effect at once, even for sessions already open.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from flask import current_app, g, request, session

from scheduler import api
from scheduler.settings import Settings

SESSION_USER_KEY = "user_id"
SESSION_LOGIN_AT_KEY = "login_at"  # POSIX time of the login: compared with sessions_valid_after


@dataclass(frozen=True)
class CurrentUser:
    """The logged-in user of this request: what views and templates may use."""

    id: int
    username: str
    role: str
    via: Literal["session", "token"]


def settings() -> Settings:
    return current_app.config["BATON_SETTINGS"]


def bearer_token() -> str | None:
    """The token of an ``Authorization: Bearer`` header ("" if the header is malformed)."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def load_user() -> CurrentUser | None:
    """Authenticate the request (token first, then session); cache the answer on ``g``."""
    token = bearer_token()
    if token is not None:
        user = api.user_for_token(settings(), token) if token else None
        found = None if user is None else CurrentUser(user.id, user.username, user.role, "token")
    else:
        user_id = session.get(SESSION_USER_KEY)
        user = api.get_user(settings(), user_id) if isinstance(user_id, int) else None
        if user is not None and not _session_current(user.sessions_valid_after):
            user = None  # logged out since (maybe elsewhere): this cookie is void
        if user is not None and not user.active:
            user = None  # deactivated by an Admin: its open sessions end at once
        found = None if user is None else CurrentUser(user.id, user.username, user.role, "session")
        if user is None and user_id is not None:
            session.clear()  # the user was deleted, or logged out, since this login
    g.baton_user = found
    return found


def start_session(user_id: int) -> None:
    """Log ``user_id`` in: a fresh session (and CSRF token), nothing from before survives."""
    session.clear()
    session[SESSION_USER_KEY] = user_id
    session[SESSION_LOGIN_AT_KEY] = time.time()
    session.permanent = True


def _session_current(valid_after: datetime | None) -> bool:
    """Whether this session began after the user's last logout (sessions made without a
    login time, e.g. by tests, count as opened at the epoch)."""
    login_at = session.get(SESSION_LOGIN_AT_KEY, 0.0)
    if not isinstance(login_at, int | float):
        return False
    return valid_after is None or login_at >= valid_after.timestamp()


def current_user() -> CurrentUser | None:
    """The logged-in user of this request, or None (on the login page, /health, static)."""
    return g.get("baton_user")


def event_source() -> str:
    """How the event log names the author of an action made through the web UI or API."""
    user = current_user()
    return f"webui:{user.username if user else 'anonymous'}"
