"""Indexes kept beside a run's task instance states, so planning after one completion costs
what changed, not one pass over every task instance of the run.

``RunIndex.of`` builds them from a full set of states (tests, a run loaded from the
database); the Engine then keeps them right through ``record`` and ``expand`` as states
change, the same way it keeps its counters of tries in flight.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from scheduler.spec import UNMAPPED
from scheduler.states import FINISHED_TASK_STATES, TaskState

#: A task instance: ``(task_id, map_index)``; ``map_index`` is -1 unless the task is mapped.
TIKey = tuple[str, int]


class _Stated(Protocol):
    """A task instance's view in a run's mirror or plan: what the index counts."""

    @property
    def state(self) -> TaskState: ...


__all__ = ["UNMAPPED", "RunIndex", "TIKey"]

# States left for a time (next_retry_at): a retry delay, or a rescheduled sensor's next poke.
_WAITING_FOR_TIME = frozenset({TaskState.UP_FOR_RETRY, TaskState.UP_FOR_RESCHEDULE})


@dataclass
class RunIndex:
    #: Mapped tasks that were expanded, with their number of instances (0..n-1).
    expanded: dict[str, int] = field(default_factory=dict)
    #: For each expanded task, how many of its instances are in each state.
    counts: dict[str, Counter[TaskState]] = field(default_factory=dict)
    retrying: set[TIKey] = field(default_factory=set)  # instances in up_for_retry
    unfinished: int = 0  # instances not in a finished state

    @classmethod
    def of(cls, states: Mapping[TIKey, _Stated], tasks: Mapping[str, object]) -> RunIndex:
        """The index of ``states`` (``(task_id, map_index) → view with .state``); tasks of
        ``tasks`` without any instance in ``states`` count as one unfinished ``none``."""
        index = cls()
        seen: set[str] = set()
        for (task_id, map_index), view in states.items():
            seen.add(task_id)
            if map_index >= 0:
                index.expanded[task_id] = max(index.expanded.get(task_id, 0), map_index + 1)
            index.record((task_id, map_index), None, view.state)
        index.unfinished += sum(1 for task_id in tasks if task_id not in seen)
        return index

    def instances(self, task_id: str) -> range | tuple[int]:
        """The map indexes of ``task_id``'s instances."""
        count = self.expanded.get(task_id)
        return (UNMAPPED,) if count is None else range(count)

    def record(self, key: TIKey, old: TaskState | None, new: TaskState) -> None:
        """Instance ``key`` moved from ``old`` (None: it did not exist) to ``new``."""
        if old == new:
            return
        if old is not None:
            self._leave(key, old)
        if new in _WAITING_FOR_TIME:  # a retry or a sensor's next poke: due at next_retry_at
            self.retrying.add(key)
        if new not in FINISHED_TASK_STATES:
            self.unfinished += 1
        if key[1] >= 0:
            self.counts.setdefault(key[0], Counter())[new] += 1

    def remove(self, key: TIKey, state: TaskState) -> None:
        """Instance ``key`` (in ``state``) no longer exists."""
        self._leave(key, state)

    def expand(self, task_id: str, length: int) -> None:
        """``task_id`` now has instances 0..length-1 (recorded one by one by the caller)."""
        self.expanded[task_id] = length

    def _leave(self, key: TIKey, state: TaskState) -> None:
        if state in _WAITING_FOR_TIME:
            self.retrying.discard(key)
        if state not in FINISHED_TASK_STATES:
            self.unfinished -= 1
        if key[1] >= 0:
            self.counts[key[0]][state] -= 1
