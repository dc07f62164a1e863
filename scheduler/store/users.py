"""Users and API tokens of the web UI: functions that take a session (tables in models_auth).

Only hashes are stored and returned; a token's value exists once, in ``create_token``'s
return value, for the UI to show to its owner.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session
from sqlmodel import col
from werkzeug.security import check_password_hash, generate_password_hash

from scheduler.errors import AuthError, UserExistsError, UserNotFoundError
from scheduler.store.models_auth import (
    ROLES,
    ApiTokenRow,
    UserRow,
    api_token_table,
    user_table,
)
from scheduler.store.sqlmodel_boundary import execute_write

TOKEN_PREFIX = "baton_"
_MIN_PASSWORD_LENGTH = 8
# A token's last use is recorded at most this often: not one database write per API call.
_LAST_USED_PRECISION = timedelta(minutes=1)


@dataclass(frozen=True)
class User:
    """What the rest of Baton sees of a user: never the password hash."""

    id: int
    username: str
    role: str
    created_at: datetime
    last_login_at: datetime | None
    sessions_valid_after: datetime | None = None
    active: bool = True


def _user(row: UserRow) -> User:
    assert row.id is not None
    return User(
        row.id,
        row.username,
        row.role,
        row.created_at,
        row.last_login_at,
        row.sessions_valid_after,
        row.active,
    )


def hash_password(password: str) -> str:
    if len(password) < _MIN_PASSWORD_LENGTH:
        raise AuthError(
            f"the password has {len(password)} characters; use at least {_MIN_PASSWORD_LENGTH}"
        )
    return generate_password_hash(password, method="scrypt")


def create_user(
    session: Session, username: str, password: str, role: str, *, now: datetime
) -> User:
    if role not in ROLES:
        raise AuthError(f"role {role!r} is unknown; use one of {', '.join(ROLES)}")
    if not username or len(username) > 100 or not username.isprintable() or " " in username:
        raise AuthError(
            f"user name {username!r} is not valid; use 1 to 100 printable characters, no spaces"
        )
    if session.scalar(select(UserRow).where(col(UserRow.username) == username)) is not None:
        raise UserExistsError(
            f"user '{username}' already exists; pick another name or delete it first"
        )
    row = UserRow(
        username=username, password_hash=hash_password(password), role=role, created_at=now
    )
    session.add(row)
    session.flush()
    return _user(row)


def list_users(session: Session) -> list[User]:
    return [_user(r) for r in session.scalars(select(UserRow).order_by(col(UserRow.username)))]


def find_user(session: Session, username: str) -> User | None:
    row = session.scalar(select(UserRow).where(col(UserRow.username) == username))
    return None if row is None else _user(row)


def get_user_by_id(session: Session, user_id: int) -> User | None:
    row = session.get(UserRow, user_id)
    return None if row is None else _user(row)


def delete_user(session: Session, username: str) -> None:
    user = find_user(session, username)
    if user is None:
        raise UserNotFoundError(
            f"no user '{username}'; see the existing ones with baton users list"
        )
    session.execute(delete(api_token_table).where(api_token_table.c.user_id == user.id))
    session.execute(delete(user_table).where(user_table.c.id == user.id))


def end_sessions(session: Session, user_id: int, now: datetime) -> None:
    """Void every session the user opened until ``now`` (log out everywhere)."""
    session.execute(
        update(user_table).where(user_table.c.id == user_id).values(sessions_valid_after=now)
    )


def check_password(session: Session, username: str, password: str, *, now: datetime) -> User | None:
    """The user if the password is right (and records the login), else None."""
    row = session.scalar(select(UserRow).where(col(UserRow.username) == username))
    if row is None:
        check_password_hash(_dummy_hash(), password)
        return None
    if not check_password_hash(row.password_hash, password) or not row.active:
        return None  # a deactivated user fails like a wrong password: nothing to probe
    row.last_login_at = now
    return _user(row)


def password_matches(session: Session, user_id: int, password: str) -> bool:
    """Whether ``password`` is the user's (for "change my password", which asks for it)."""
    row = session.get(UserRow, user_id)
    return row is not None and check_password_hash(row.password_hash, password)


def _require_row(session: Session, username: str) -> UserRow:
    row = session.scalar(select(UserRow).where(col(UserRow.username) == username))
    if row is None:
        raise UserNotFoundError(
            f"no user '{username}'; see the existing ones with baton users list"
        )
    return row


def set_role(session: Session, username: str, role: str) -> str:
    """Give ``username`` role ``role``; returns the role it had."""
    if role not in ROLES:
        raise AuthError(f"role {role!r} is unknown; use one of {', '.join(ROLES)}")
    row = _require_row(session, username)
    old, row.role = row.role, role
    return old


def set_password(session: Session, username: str, password: str, *, now: datetime) -> None:
    """Replace the user's password and end its sessions (a stolen cookie stops working too);
    its API tokens stay valid: revoke them on its tokens page if they leaked as well."""
    row = _require_row(session, username)
    row.password_hash = hash_password(password)
    row.sessions_valid_after = now


def set_active(session: Session, username: str, active: bool, *, now: datetime) -> None:
    """Deactivate (no login, sessions and tokens refused) or reactivate ``username``."""
    row = _require_row(session, username)
    row.active = active
    if not active:
        row.sessions_valid_after = now


def count_active_admins(session: Session) -> int:
    return len(
        session.scalars(
            select(col(UserRow.id)).where(
                col(UserRow.role) == "Admin", col(UserRow.active).is_(True)
            )
        ).all()
    )


@cache
def _dummy_hash() -> str:
    """A real hash to check against when the user does not exist, so that a wrong user name
    takes as long as a wrong password (no user enumeration by timing)."""
    return generate_password_hash(secrets.token_hex(16), method="scrypt")


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, user_id: int, name: str, *, now: datetime) -> tuple[int, str]:
    """A new token for the user: ``(token_id, token_value)``; only its hash is stored."""
    value = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiTokenRow(user_id=user_id, name=name, token_hash=_token_hash(value), created_at=now)
    session.add(row)
    session.flush()
    assert row.id is not None
    return row.id, value


def list_tokens(session: Session, user_id: int) -> list[ApiTokenRow]:
    query = (
        select(ApiTokenRow).where(col(ApiTokenRow.user_id) == user_id).order_by(col(ApiTokenRow.id))
    )
    return list(session.scalars(query))


def revoke_token(session: Session, user_id: int, token_id: int) -> bool:
    """Delete one of the user's tokens; False if the user has no such token."""
    result = execute_write(
        session,
        delete(api_token_table).where(
            api_token_table.c.id == token_id, api_token_table.c.user_id == user_id
        ),
    )
    return result.rowcount > 0


def find_token(session: Session, token: str) -> ApiTokenRow | None:
    """The stored token whose hash matches ``token``, or None."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    return session.scalar(
        select(ApiTokenRow).where(col(ApiTokenRow.token_hash) == _token_hash(token))
    )


def needs_touch(row: ApiTokenRow, now: datetime) -> bool:
    """Whether the token's last use is worth recording again (not one write per request)."""
    return row.last_used_at is None or now - row.last_used_at > _LAST_USED_PRECISION


def touch_token(session: Session, token_id: int | None, now: datetime) -> None:
    session.execute(
        update(api_token_table).where(api_token_table.c.id == token_id).values(last_used_at=now)
    )
