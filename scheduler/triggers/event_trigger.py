"""``BaseEventTrigger``: a trigger that watches an asset (Airflow 3's ``AssetWatcher``).

A task's trigger fires once and is over; an event trigger runs for as long as a DAG is
scheduled on its asset, and each ``TriggerEvent`` its ``run()`` yields becomes an asset
event (``extra = {"from_trigger": True, "payload": event.payload}``, as in Airflow).

An event may carry an acknowledgement (``AckedEvent``): the triggerer calls ``ack()`` only
after the asset event is committed, so a broker redelivers what was received but not
stored (a triggerer killed in between loses nothing). An event with ``error`` set is
recorded as a failed asset event with that reason (a message that is not valid JSON) and
starts no run; it is acknowledged too, as it is stored.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from scheduler.triggers.base import BaseTrigger, TriggerEvent


class BaseEventTrigger(BaseTrigger):
    """The base of triggers an ``AssetWatcher`` may run: ``run()`` keeps yielding."""


class AckedEvent(TriggerEvent):
    """A ``TriggerEvent`` that the triggerer acknowledges once its asset event is stored:
    ``ack_many(refs)`` acknowledges the events of one consumer sharing it, in one call."""

    def __init__(
        self,
        payload: Any,
        *,
        ack_many: Callable[[list[Any]], Awaitable[Any]] | None = None,
        ref: Any = None,
        error: str | None = None,
    ) -> None:
        super().__init__(payload)
        self.ack_many = ack_many
        self.ref = ref
        self.error = error


async def acknowledge(events: Iterable[TriggerEvent]) -> list[Exception]:
    """Acknowledge stored events: one ``ack_many`` call per consumer, in arrival order;
    returns the errors (a consumer whose connection dropped: its broker redelivers)."""
    groups: dict[int, tuple[Callable[[list[Any]], Awaitable[Any]], list[Any]]] = {}
    for event in events:
        if isinstance(event, AckedEvent) and event.ack_many is not None:
            groups.setdefault(id(event.ack_many), (event.ack_many, []))[1].append(event.ref)
    failed = []
    for ack_many, refs in groups.values():
        try:
            await ack_many(refs)
        except Exception as exc:
            failed.append(exc)
    return failed
