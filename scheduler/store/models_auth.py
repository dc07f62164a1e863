"""Tables of the web UI's security: users with a role, and their API tokens.

Column-only, like models.py. Passwords and tokens are stored hashed only: a password with
werkzeug's scrypt hash (salted, slow), a token with SHA-256 (it is 256 random bits, so a
fast hash is enough and lets a request find its token by hash).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from scheduler.store.sqlmodel_boundary import table_of
from scheduler.store.types import UtcDateTime

ROLES: tuple[str, ...] = ("Viewer", "Op", "Admin")
"""From least to most powerful: Viewer reads, Op also acts on DAGs and runs (trigger, pause,
clear, mark), Admin also manages users. Each role can do everything the ones before it can."""


class UserRow(SQLModel, table=True):
    __tablename__ = "webui_user"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=100, unique=True)
    password_hash: str = Field(max_length=400)
    role: str = Field(max_length=20)  # one of ROLES
    created_at: datetime = Field(sa_type=UtcDateTime)
    last_login_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    # Sessions opened before this instant are void: set by "log out", so a copied session
    # cookie stops working too (the cookie itself cannot be recalled).
    sessions_valid_after: datetime | None = Field(default=None, sa_type=UtcDateTime)
    # A deactivated user cannot log in, and its sessions and API tokens stop working; it is
    # kept (unlike a deleted one) so the event log's names still lead somewhere.
    active: bool = True


class ApiTokenRow(SQLModel, table=True):
    __tablename__ = "webui_api_token"
    __table_args__ = (Index("ix_webui_api_token_user_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="webui_user.id", ondelete="CASCADE")
    name: str = Field(max_length=100)
    token_hash: str = Field(max_length=64, unique=True)  # sha256 hex of the token
    created_at: datetime = Field(sa_type=UtcDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


user_table = table_of(UserRow)
api_token_table = table_of(ApiTokenRow)
