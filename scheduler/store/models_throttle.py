"""The ``adaptive_throttle`` table: one row per connection with adaptive throttling.

Column-only, like the other tables; the logic is in ``scheduler.throttle``. The row holds
the connection's allowed rate (AIMD), what it learnt from the service's last push-back and
any ``Retry-After`` pause; the calls are paced by a token bucket of kind ``adaptive`` in
``rate_limit_bucket`` that refills at ``rate``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Text
from sqlmodel import Field, SQLModel

from scheduler.store.sqlmodel_boundary import table_of
from scheduler.store.types import UtcDateTime


class AdaptiveThrottleRow(SQLModel, table=True):
    __tablename__ = "adaptive_throttle"

    conn_id: str = Field(primary_key=True, max_length=250)
    rate: float  # calls per second allowed now
    max_rate: float  # the ceiling the rate recovers to (as last configured)
    # The success rate measured when the service last pushed back; the rate holds below
    # it for ``adaptive_probe_after_s`` instead of walking into the same wall again.
    ceiling: float | None = None
    decreased_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    paused_until: datetime | None = Field(default=None, sa_type=UtcDateTime)  # Retry-After
    # Successful calls since window_started_at: what the service accepted lately.
    window_started_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    window_ok: int = 0
    latency_ewma_s: float | None = None
    latency_floor_s: float | None = None  # the lowest smoothed latency, drifting up slowly
    calls: int = 0
    overloads: int = 0
    last_signal: str | None = Field(default=None, sa_type=Text)  # redacted
    last_signal_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    updated_at: datetime = Field(sa_type=UtcDateTime)


adaptive_throttle_table = table_of(AdaptiveThrottleRow)
