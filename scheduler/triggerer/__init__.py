"""``baton triggerer``: runs the triggers of deferred tasks in one asyncio loop."""

from scheduler.triggerer.job import TriggererJob

__all__ = ["TriggererJob"]
