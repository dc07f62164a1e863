"""``SqlSensorTrigger``: run a query from the triggerer until its first row says so.

The async side of ``SqlSensor(deferrable=True)``. Each poll runs ``sql`` through
``SqlHook`` in a thread (the loop keeps running). Without ``success``/``failure``/
``selector`` functions (which cannot be serialized) the trigger applies the sensor's
default test itself: the first column of the first row is true. With them, any first row
fires the trigger and a worker applies them, deferring again if they say "not yet".
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from scheduler.triggers import BaseTrigger, TriggerEvent


class SqlSensorTrigger(BaseTrigger):
    def __init__(
        self,
        conn_id: str,
        sql: str,
        parameters: dict[str, Any] | None = None,
        test_first_cell: bool = True,
        poke_interval: float = 60.0,
        first_wait: float = 0.0,
    ) -> None:
        super().__init__()
        self.conn_id = conn_id
        self.sql = sql
        self.parameters = dict(parameters or {})
        self.test_first_cell = bool(test_first_cell)
        self.poke_interval = float(poke_interval)
        self.first_wait = float(first_wait)

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            "plugins.sql.triggers.SqlSensorTrigger",
            {
                "conn_id": self.conn_id,
                "sql": self.sql,
                "parameters": self.parameters,
                "test_first_cell": self.test_first_cell,
                "poke_interval": self.poke_interval,
                "first_wait": self.first_wait,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        from plugins.sql.hook import SqlHook

        hook = SqlHook(self.conn_id)  # one engine for every poll of this trigger
        if self.first_wait > 0:
            await asyncio.sleep(self.first_wait)
        while True:
            records = await asyncio.to_thread(hook.get_records, self.sql, self.parameters)
            if records and (not self.test_first_cell or records[0][0]):
                yield TriggerEvent({"row": [_plain(v) for v in records[0]]})
                return
            await asyncio.sleep(self.poke_interval)


def _plain(value: Any) -> Any:
    """A cell as a value the event can store (JSON, a datetime); anything else as text."""
    if value is None or isinstance(value, bool | int | float | str | datetime):
        return value
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
