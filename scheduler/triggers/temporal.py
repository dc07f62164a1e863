"""Time triggers: fire at a moment (``DateTimeTrigger``) or after a delay (``TimeDeltaTrigger``).

As Airflow's, a ``TimeDeltaTrigger`` is a ``DateTimeTrigger`` for now + delta, computed when
it is created (in the worker), so a triggerer restart does not restart the delay.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

from scheduler.errors import BatonError
from scheduler.triggers.base import BaseTrigger, TriggerEvent


class DateTimeTrigger(BaseTrigger):
    """Fire once ``moment`` (an aware datetime) has come; the payload is the moment."""

    def __init__(self, moment: datetime, *, end_from_trigger: bool = False) -> None:
        super().__init__()
        if not isinstance(moment, datetime):
            raise BatonError(f"DateTimeTrigger(moment=...) needs a datetime, not {moment!r}")
        if moment.tzinfo is None:
            raise BatonError(
                f"DateTimeTrigger: moment {moment.isoformat()} has no time zone; pass an aware "
                "datetime (e.g. pendulum.datetime(..., tz='UTC'))"
            )
        self.moment = moment
        self.end_from_trigger = end_from_trigger

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            "scheduler.triggers.temporal.DateTimeTrigger",
            {"moment": self.moment, "end_from_trigger": self.end_from_trigger},
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        # Sleep in steps of at most an hour: a clock change cannot leave it asleep too long.
        while (left := (self.moment - datetime.now(UTC)).total_seconds()) > 0:
            await asyncio.sleep(min(left, 3600.0))
        yield TriggerEvent(self.moment)


class TimeDeltaTrigger(DateTimeTrigger):
    """Fire ``delta`` after the trigger was created."""

    def __init__(self, delta: timedelta, *, end_from_trigger: bool = False) -> None:
        if not isinstance(delta, timedelta):
            raise BatonError(f"TimeDeltaTrigger(delta=...) needs a timedelta, not {delta!r}")
        super().__init__(datetime.now(UTC) + delta, end_from_trigger=end_from_trigger)
