"""The ``pool`` table: named limits on how many slots' worth of tries run at once.

Column-only, like the other tables; the logic is in ``scheduler.store.pools``. Airflow's
meaning: a task takes ``pool_slots`` slots of its ``pool`` while it is queued or running
(and deferred, if the pool's ``include_deferred`` is set); ``slots = -1`` is unlimited.
``default_pool`` always exists (128 slots unless changed).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Text
from sqlmodel import Field, SQLModel

from scheduler.store.sqlmodel_boundary import table_of
from scheduler.store.types import UtcDateTime


class PoolRow(SQLModel, table=True):
    __tablename__ = "pool"

    name: str = Field(primary_key=True, max_length=256)
    slots: int = 128
    description: str | None = Field(default=None, sa_type=Text)
    include_deferred: bool = False
    # "10/s", "100/m", "5/h": tries of the pool dispatched at most at that rate, by every
    # scheduler together (a token bucket in rate_limit_bucket); None: no rate limit.
    rate_limit: str | None = Field(default=None, max_length=50)
    updated_at: datetime = Field(sa_type=UtcDateTime)


pool_table = table_of(PoolRow)
