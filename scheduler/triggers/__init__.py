"""Triggers for deferrable tasks (run by ``baton triggerer``); see docs/events.md."""

from scheduler.triggers.base import BaseTrigger, TaskDeferred, TriggerEvent, classpath_of
from scheduler.triggers.event_trigger import AckedEvent, BaseEventTrigger
from scheduler.triggers.file import FileTrigger
from scheduler.triggers.temporal import DateTimeTrigger, TimeDeltaTrigger

__all__ = [
    "AckedEvent",
    "BaseEventTrigger",
    "BaseTrigger",
    "DateTimeTrigger",
    "FileTrigger",
    "TaskDeferred",
    "TimeDeltaTrigger",
    "TriggerEvent",
    "classpath_of",
]
