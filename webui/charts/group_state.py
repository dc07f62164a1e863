"""The state shown for a task group: the most telling state among its tasks (Airflow's
``State.state_priority``: a failure first, then what still moves, success last)."""

from __future__ import annotations

from collections.abc import Iterable

STATE_PRIORITY = (
    "failed",
    "compensation_failed",
    "upstream_failed",
    "up_for_retry",
    "up_for_reschedule",
    "queued",
    "scheduled",
    "deferred",
    "running",
    "compensating",
    "none",
    "compensated",
    "success",
    "skipped",
    "removed",
)
"""Baton's task states in Airflow's order; the sagas' states beside their nearest kin."""
_RANK = {state: i for i, state in enumerate(STATE_PRIORITY)}


def group_state(states: Iterable[str | None]) -> str | None:
    """The group's state from its tasks' (None or "none": not started); None if it has no
    task instance at all."""
    ranked = [state or "none" for state in states]
    if not ranked:
        return None
    return min(ranked, key=lambda state: _RANK.get(state, len(_RANK)))
