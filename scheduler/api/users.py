"""Web UI and API accounts: users, logins, tokens."""

from __future__ import annotations

import math

from sqlalchemy.orm import Session

from scheduler.api.databases import database, read_database
from scheduler.clock import utcnow
from scheduler.errors import AuthError, LoginThrottledError, UserNotFoundError
from scheduler.settings import Settings
from scheduler.store import login_throttle
from scheduler.store import users as user_store
from scheduler.store.db import transaction
from scheduler.store.events import Event, append_events, process_source
from scheduler.store.models_auth import ApiTokenRow

#: Failed logins of one account within the window after which logins to it from browsers
#: it never logged in from are refused (429); see scheduler/store/login_throttle.py.
LOGIN_MAX_FAILURES = login_throttle.DEFAULT_POLICY.account_limit
LOGIN_FAILURE_WINDOW = login_throttle.DEFAULT_POLICY.window
LOGIN_POLICY = login_throttle.DEFAULT_POLICY
#: A token's name says what uses it ("prometheus", "ci"); the web form has the same limit.
TOKEN_NAME_MAX = 100


def create_user(
    settings: Settings, username: str, password: str, role: str, *, source: str | None = None
) -> user_store.User:
    with transaction(database(settings)) as session:
        user = user_store.create_user(session, username, password, role, now=utcnow())
        detail = f"user '{username}' created with role {role}"
        source = source or process_source("cli")
        append_events(session, [Event("user_create", utcnow(), source, detail=detail)])
    return user


def list_users(settings: Settings) -> list[user_store.User]:
    with transaction(read_database(settings)) as session:
        return user_store.list_users(session)


def find_user(settings: Settings, username: str) -> user_store.User | None:
    with transaction(read_database(settings)) as session:
        return user_store.find_user(session, username)


def get_user(settings: Settings, user_id: int) -> user_store.User | None:
    with transaction(read_database(settings)) as session:
        return user_store.get_user_by_id(session, user_id)


def delete_user(settings: Settings, username: str, *, source: str | None = None) -> None:
    with transaction(database(settings)) as session:
        user_store.delete_user(session, username)
        detail = f"user '{username}' deleted"
        source = source or process_source("cli")
        append_events(session, [Event("user_delete", utcnow(), source, detail=detail)])


def change_role(settings: Settings, username: str, role: str, *, source: str | None = None) -> str:
    """Give ``username`` role ``role`` (at once, even for its open sessions); returns the
    old role. The last active Admin keeps its role, so someone can still manage users."""
    with transaction(database(settings)) as session:
        old = user_store.set_role(session, username, role)
        if old == "Admin" and role != "Admin" and user_store.count_active_admins(session) == 0:
            raise AuthError(f"'{username}' is the last active Admin; make another user Admin first")
        detail = f"user '{username}' role {old} -> {role}"
        _audit(session, "user_role", detail, source)
    return old


def reset_password(
    settings: Settings, username: str, password: str, *, source: str | None = None
) -> None:
    """Set a new password for ``username`` (an Admin's reset, or ``baton users
    reset-password``); the user's open sessions end."""
    with transaction(database(settings)) as session:
        user_store.set_password(session, username, password, now=utcnow())
        _audit(session, "user_password", f"password of user '{username}' reset", source)


def change_own_password(
    settings: Settings, user_id: int, current: str, new: str, *, source: str
) -> None:
    """A user changes their own password, proving the current one first. Their other
    sessions end; the caller starts a fresh one for the browser that asked."""
    with transaction(database(settings)) as session:
        user = user_store.get_user_by_id(session, user_id)
        if user is None or not user_store.password_matches(session, user_id, current):
            raise AuthError("the current password is wrong; nothing was changed")
        if current == new:
            raise AuthError("the new password is the current one; pick a different one")
        user_store.set_password(session, user.username, new, now=utcnow())
        _audit(session, "user_password", f"user '{user.username}' changed their password", source)


def set_user_active(
    settings: Settings, username: str, active: bool, *, source: str | None = None
) -> None:
    """Deactivate ``username`` (its logins, sessions and tokens are refused from now on)
    or activate it again. The last active Admin cannot be deactivated."""
    with transaction(database(settings)) as session:
        user_store.set_active(session, username, active, now=utcnow())
        if not active and user_store.count_active_admins(session) == 0:
            raise AuthError(f"'{username}' is the last active Admin; make another user Admin first")
        what = "activated" if active else "deactivated"
        _audit(session, f"user_{what[:-1]}", f"user '{username}' {what}", source)


def _audit(session: Session, event: str, detail: str, source: str | None) -> None:
    source = source or process_source("cli")
    append_events(session, [Event(event, utcnow(), source, detail=detail)])


def login(
    settings: Settings,
    username: str,
    password: str,
    *,
    source_addr: str | None = None,
    device: str | None = None,
) -> user_store.User | None:
    """The user if the password is right; every attempt is recorded in the event log.

    Throttled as ``scheduler/store/login_throttle.py`` explains: too many failures from
    ``source_addr`` (the client's address) or for the account raise ``LoginThrottledError``
    before the password is checked, unless ``device`` (the nonce of a valid device cookie
    naming this user) shows a browser the user logged in from before. Unknown user names
    are throttled exactly like known ones. An unknown user name is logged as
    ``webui:anonymous``, not echoed: people type their password into the user name field by
    mistake."""
    now = utcnow()
    attempt = login_throttle.Attempt.of(username, source_addr, device)
    user = None
    with transaction(database(settings)) as session:
        known = user_store.find_user(session, username) is not None
        source = f"webui:{username}" if known else "webui:anonymous"
        counters = login_throttle.load(session, attempt, now)
        wait = login_throttle.wait_for(counters, now, has_device=device is not None)
        if wait > 0:
            event = Event("login_throttled", now, source, detail=f"retry in {wait:.0f} s")
        else:
            user = user_store.check_password(session, username, password, now=now)
            if user is None:
                login_throttle.record_failure(session, attempt, now)
            else:
                login_throttle.forget_device(session, attempt)
            detail = None if user or known else "unknown user name"
            event = Event("login" if user else "login_failed", now, source, detail=detail)
        append_events(session, [event])
    if wait > 0:
        seconds = max(1, math.ceil(wait))
        raise LoginThrottledError(
            f"too many failed logins; try again in {seconds} seconds", retry_after=seconds
        )
    return user


def logout(settings: Settings, user_id: int, *, source: str) -> None:
    """End every session of the user, including copies of its session cookie."""
    now = utcnow()
    with transaction(database(settings)) as session:
        user_store.end_sessions(session, user_id, now)
        append_events(session, [Event("logout", now, source)])


def create_token(settings: Settings, user_id: int, name: str, *, source: str) -> tuple[int, str]:
    """A new API token ``(id, value)``: the value is shown once, only its hash is kept."""
    name = check_token_name(name)
    with transaction(database(settings)) as session:
        token_id, value = user_store.create_token(session, user_id, name, now=utcnow())
        detail = f"API token {token_id} '{name}' created"
        append_events(session, [Event("token_create", utcnow(), source, detail=detail)])
    return token_id, value


def list_tokens(settings: Settings, user_id: int) -> list[ApiTokenRow]:
    with transaction(read_database(settings)) as session:
        return user_store.list_tokens(session, user_id)


def revoke_token(settings: Settings, user_id: int, token_id: int, *, source: str) -> bool:
    with transaction(database(settings)) as session:
        revoked = user_store.revoke_token(session, user_id, token_id)
        if revoked:
            detail = f"API token {token_id} revoked"
            append_events(session, [Event("token_revoke", utcnow(), source, detail=detail)])
    return revoked


def user_for_token(settings: Settings, token: str) -> user_store.User | None:
    """The owner of a valid API token, or None; its last use is recorded (once a minute)."""
    now = utcnow()
    with transaction(read_database(settings)) as session:
        token_row = user_store.find_token(session, token)
        user = user_store.get_user_by_id(session, token_row.user_id) if token_row else None
    if user is not None and not user.active:
        return None  # a deactivated user's tokens are refused like revoked ones
    if token_row is not None and user_store.needs_touch(token_row, now):
        with transaction(database(settings)) as session:
            user_store.touch_token(session, token_row.id, now)
    return user


def check_token_name(name: str) -> str:
    """The name without surrounding blanks, or ``AuthError`` saying what a name must be."""
    name = name.strip()
    if not name or len(name) > TOKEN_NAME_MAX:
        raise AuthError(
            f"a token needs a name of 1 to {TOKEN_NAME_MAX} characters saying what uses it, "
            "e.g. 'prometheus'"
        )
    return name


def require_user(settings: Settings, username: str) -> user_store.User:
    """User ``username``, or ``UserNotFoundError`` saying how to list the users."""
    user = find_user(settings, username)
    if user is None:
        raise UserNotFoundError(
            f"no user '{username}'; see the existing ones with baton users list"
        )
    return user


def tokens_by_user(
    settings: Settings, username: str | None = None
) -> list[tuple[str, ApiTokenRow]]:
    """``(username, token row)`` for each token of ``username``, or of every user. Rows hold
    the token's hash only: a token's value cannot be shown again."""
    users = [require_user(settings, username)] if username else list_users(settings)
    return [(u.username, token) for u in users for token in list_tokens(settings, u.id)]
