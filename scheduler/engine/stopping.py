"""Tries the Engine asked the executor to stop and that have not been reported stopped.

A try stops without reporting its own end when a user marks its task failed while it runs,
or when its run times out: the Engine records the new state at once and cancels the try
after the commit; the executor kills the worker and reports the try's end later. Until it
has, the try's call to a service may still be in flight, so a saga must not undo anything
yet: a compensation that ran first could be overtaken by the effect it was meant to undo.
``RunDriver`` adds the keys it cancels here and releases each when its end is reported; the
saga's planner holds a run's compensations while any of its tries is still stopping.

A key the executor never reports (it did not run that try: another scheduler did) is let go
after ``wait_s``, so a saga cannot wait forever.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from scheduler.executor import TryKey

log = logging.getLogger(__name__)

#: The local executor kills a cancelled worker after 2 s; this leaves room for a slow reap.
STOP_WAIT_S = 30.0


class StoppingTries:
    def __init__(self, wait_s: float = STOP_WAIT_S) -> None:
        self.wait = timedelta(seconds=wait_s)
        self._until: dict[TryKey, datetime] = {}

    def add(self, keys: Iterable[TryKey], now: datetime) -> None:
        for key in keys:
            self._until[key] = now + self.wait

    def release(self, key: TryKey) -> bool:
        """The executor reported ``key``'s end: True if it was being stopped."""
        return self._until.pop(key, None) is not None

    def of_run(self, dag_id: str, run_id: str, now: datetime) -> tuple[set[str], datetime | None]:
        """The tasks of the run with a try still stopping, and when the first of them is
        given up on (the run's next wake-up). Keys past their wait are dropped."""
        tasks: set[str] = set()
        first: datetime | None = None
        for key, until in list(self._until.items()):
            if (key.dag_id, key.run_id) != (dag_id, run_id):
                continue
            if until <= now:
                log.warning("no end reported for %s after it was cancelled; going on", key.label)
                del self._until[key]
                continue
            tasks.add(key.task_id)
            first = until if first is None or until < first else first
        return tasks, first
