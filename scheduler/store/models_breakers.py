"""The ``circuit_breaker`` table: one row per connection, shared by every process.

Column-only, like the other tables; the logic is in ``scheduler.breakers``. A row appears
the first time a call through the connection's breaker ends.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Text
from sqlmodel import Field, SQLModel

from scheduler.store.sqlmodel_boundary import table_of
from scheduler.store.types import UtcDateTime


class CircuitBreakerRow(SQLModel, table=True):
    __tablename__ = "circuit_breaker"

    conn_id: str = Field(primary_key=True, max_length=250)
    state: str = Field(default="closed", max_length=20)  # closed | open | half_open
    consecutive_failures: int = 0
    # A fixed window for the failure rate: calls and failures since window_started_at.
    window_started_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    window_calls: int = 0
    window_failures: int = 0
    opened_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    # When an open circuit admits one probe call (opened_at + the reset timeout).
    half_open_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    # The process holding the probe while half-open (claimed with a conditional UPDATE).
    probe_owner: str | None = Field(default=None, max_length=250)
    probe_started_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    last_error: str | None = Field(default=None, sa_type=Text)  # redacted
    updated_at: datetime = Field(sa_type=UtcDateTime)


circuit_breaker_table = table_of(CircuitBreakerRow)
