"""The built-in triggers in a real asyncio loop, and their round trip through
``serialize()`` and the JSON the ``trigger`` table stores."""

from __future__ import annotations

import asyncio
import importlib
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from scheduler.errors import BatonError
from scheduler.triggers import DateTimeTrigger, FileTrigger, TimeDeltaTrigger, TriggerEvent, serde


def _first_event(trigger, timeout: float = 10) -> TriggerEvent:
    async def first() -> TriggerEvent:
        async for event in trigger.run():
            return event
        raise AssertionError("no event")

    return asyncio.run(asyncio.wait_for(first(), timeout))


def _rebuilt(trigger):
    """What the triggerer builds from the stored row."""
    classpath, kwargs = trigger.serialize()
    stored = serde.encode(kwargs)
    module, _, name = classpath.rpartition(".")
    return getattr(importlib.import_module(module), name)(**serde.decode(stored))


def test_a_time_delta_trigger_keeps_its_moment_through_serialization() -> None:
    trigger = TimeDeltaTrigger(timedelta(seconds=0.3))
    time.sleep(0.2)
    again = _rebuilt(trigger)  # as after a triggerer restart: the moment is not moved
    assert again.moment == trigger.moment
    started = time.monotonic()
    event = _first_event(again)
    assert event.payload == trigger.moment
    assert time.monotonic() - started < 0.3


def test_a_datetime_trigger_in_the_past_fires_at_once_and_naive_is_refused() -> None:
    moment = datetime.now(UTC) - timedelta(seconds=1)
    assert _first_event(DateTimeTrigger(moment)).payload == moment
    with pytest.raises(BatonError, match="no time zone"):
        DateTimeTrigger(datetime(2026, 1, 1))


def test_a_file_trigger_fires_with_the_first_match(tmp_path: Path) -> None:
    trigger = _rebuilt(FileTrigger(str(tmp_path / "in" / "*.csv"), poke_interval=0.05))

    async def scenario() -> TriggerEvent:
        waiting = asyncio.create_task(_next(trigger))
        await asyncio.sleep(0.2)
        assert not waiting.done()
        (tmp_path / "in").mkdir()
        (tmp_path / "in" / "orders.csv").write_text("1")
        return await asyncio.wait_for(waiting, 5)

    assert asyncio.run(scenario()).payload == str(tmp_path / "in" / "orders.csv")


async def _next(trigger) -> TriggerEvent:
    async for event in trigger.run():
        return event
    raise AssertionError("no event")


def test_values_the_table_cannot_store_are_refused_with_the_type() -> None:
    assert serde.decode(serde.encode({"d": timedelta(seconds=3)})) == {"d": timedelta(seconds=3)}
    with pytest.raises(BatonError, match="a set cannot be stored"):
        serde.encode({"x": {1, 2}}, "trigger kwargs")
