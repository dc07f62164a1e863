"""The ``login_failure`` table: recent wrong passwords, counted per source, account and
device, for the login throttle (``scheduler.store.login_throttle``).

Keys are SHA-256 digests, never the user name or address itself: people type their password
into the user name field, and an unknown name is counted like a known one (so that a
refusal reveals nothing about which accounts exist).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from scheduler.store.sqlmodel_boundary import table_of
from scheduler.store.types import UtcDateTime


class LoginFailureRow(SQLModel, table=True):
    __tablename__ = "login_failure"
    __table_args__ = (UniqueConstraint("scope", "key", name="uq_login_failure_key"),)

    id: int | None = Field(default=None, primary_key=True)
    scope: str = Field(max_length=10)  # "source", "account" or "device"
    key: str = Field(max_length=64)  # sha256 hex of the address, user name or device nonce
    failures: int = 0  # within the window that began at first_at
    first_at: datetime = Field(sa_type=UtcDateTime)
    last_at: datetime = Field(sa_type=UtcDateTime)


login_failure_table = table_of(LoginFailureRow)
