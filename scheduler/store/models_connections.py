"""Tables of connections and variables. Column-only, like models.py.

``password``, ``extra`` and ``val`` hold Fernet tokens (see scheduler/connections/crypto.py),
never clear text: a copy of the database alone reveals no secret.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Text
from sqlmodel import Field, SQLModel

from scheduler.store.sqlmodel_boundary import table_of
from scheduler.store.types import UtcDateTime


class ConnectionRow(SQLModel, table=True):
    __tablename__ = "connection"

    id: int | None = Field(default=None, primary_key=True)
    conn_id: str = Field(max_length=250, unique=True)
    conn_type: str = Field(max_length=500)
    description: str | None = Field(default=None, sa_type=Text)
    host: str | None = Field(default=None, sa_type=Text)
    schema_: str | None = Field(default=None, sa_column_kwargs={"name": "schema"}, sa_type=Text)
    login: str | None = Field(default=None, sa_type=Text)
    password: str | None = Field(default=None, sa_type=Text)  # Fernet token
    port: int | None = None
    extra: str | None = Field(default=None, sa_type=Text)  # Fernet token of the JSON text
    updated_at: datetime = Field(sa_type=UtcDateTime)


class VariableRow(SQLModel, table=True):
    __tablename__ = "variable"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=250, unique=True)
    val: str = Field(sa_type=Text)  # Fernet token
    description: str | None = Field(default=None, sa_type=Text)
    updated_at: datetime = Field(sa_type=UtcDateTime)


connection_table = table_of(ConnectionRow)
variable_table = table_of(VariableRow)
