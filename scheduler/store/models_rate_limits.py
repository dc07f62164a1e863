"""The ``rate_limit_bucket`` table: one token bucket per connection or pool, shared by all.

Column-only, like the other tables; the logic is in ``scheduler.store.rate_limits``. A row
appears the first time a process takes a token from the bucket. ``tokens`` may go below
zero: a taker that found the bucket empty reserves the next token due and waits for it, so
the debt is what queued takers will be owed (see ``store.rate_limits``).
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from scheduler.store.sqlmodel_boundary import table_of
from scheduler.store.types import UtcDateTime


class RateLimitBucketRow(SQLModel, table=True):
    __tablename__ = "rate_limit_bucket"

    kind: str = Field(primary_key=True, max_length=20)  # "connection" | "pool"
    name: str = Field(primary_key=True, max_length=256)
    tokens: float = 0.0
    updated_at: datetime = Field(sa_type=UtcDateTime)  # when ``tokens`` was last refilled
    rate: float = 1.0  # tokens per second, as last configured
    burst: float = 1.0  # the bucket's capacity


rate_limit_bucket_table = table_of(RateLimitBucketRow)
