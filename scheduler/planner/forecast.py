"""How long tasks usually take, and when a running run should finish.

Pure: the caller passes each task's recent successful durations (newest first, at most
``HISTORY``), the run's task states and ``now``.

- ``usual_limit``: the p95 of a task's durations, once it has ``MIN_SAMPLES`` of them; a
  try running past it is "running longer than usual".
- ``forecast``: the run's predicted finish. Each unfinished task takes its p50 (a running
  one, what is left of its p50); a task starts when its slowest unfinished upstream task
  ends. The latest end is the predicted finish and the chain of tasks leading to it the
  critical path (the longest remaining path by p50 durations). A task without history
  counts as taking no time and is listed in ``unknown``, so the prediction says how much
  it knows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from scheduler.spec import DagSpec
from scheduler.states import FINISHED_TASK_STATES, TaskState

HISTORY = 30  # the last successful durations a task's usual time comes from
MIN_SAMPLES = 5  # fewer than this: no usual time yet (no badge, no p95)


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) with linear interpolation between closest ranks
    (numpy's default), of a non-empty sequence."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= q <= 100:
        raise ValueError(f"percentile q={q} must be between 0 and 100")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def usual_limit(durations: Sequence[float], min_samples: int = MIN_SAMPLES) -> float | None:
    """The p95 of the last ``HISTORY`` durations (newest first); None below ``min_samples``."""
    recent = list(durations[:HISTORY])
    return percentile(recent, 95) if len(recent) >= min_samples else None


def typical(durations: Sequence[float]) -> float | None:
    """The p50 of the last ``HISTORY`` durations; None without any."""
    recent = list(durations[:HISTORY])
    return percentile(recent, 50) if recent else None


@dataclass(frozen=True)
class TaskProgress:
    """One task of a running run (all its map indexes together): ``done`` when every
    instance finished; else ``running_s`` is how long its latest-started running instance
    has run (None: none runs) and ``waiting`` whether an instance has not started yet."""

    done: bool
    running_s: float | None = None
    waiting: bool = True


@dataclass(frozen=True)
class Forecast:
    finish: datetime
    remaining_s: float
    critical_path: tuple[str, ...]
    unknown: tuple[str, ...]  # unfinished tasks without any successful duration yet


def progress_of(
    rows: Sequence[tuple[str, str, int, datetime | None]], now: datetime
) -> dict[str, TaskProgress]:
    """Each task's progress from ``(task_id, state, instances, latest start_date)`` rows:
    a run's task instances counted per task and state (a mapped task's 10,000 instances
    are a few rows)."""
    grouped: dict[str, list[tuple[str, int, datetime | None]]] = {}
    for task_id, state, count, start in rows:
        grouped.setdefault(task_id, []).append((state, count, start))
    progress = {}
    for task_id, states in grouped.items():
        open_count = sum(n for state, n, _ in states if state not in FINISHED_TASK_STATES)
        running = [(n, start) for state, n, start in states if state == TaskState.RUNNING]
        starts = [start for _, start in running if start is not None]
        progress[task_id] = TaskProgress(
            done=open_count == 0,
            running_s=(now - max(starts)).total_seconds() if starts else None,
            waiting=open_count > sum(n for n, _ in running),
        )
    return progress


def forecast(
    spec: DagSpec,
    progress: Mapping[str, TaskProgress],
    p50: Mapping[str, float | None],
    now: datetime,
) -> Forecast | None:
    """The predicted finish of a run whose tasks are at ``progress``; None when every task
    is done. Tasks missing from ``progress`` count as not started."""
    ends: dict[str, float] = {}  # seconds from now at which each unfinished task ends
    via: dict[str, str | None] = {}
    unknown = []
    for task_id in spec.topological_order:
        state = progress.get(task_id, TaskProgress(done=False))
        if state.done:
            continue
        usual = p50.get(task_id)
        if usual is None:
            unknown.append(task_id)
            usual = 0.0
        if state.running_s is not None and not state.waiting:
            left = max(usual - state.running_s, 0.0)
        else:
            left = usual
        upstream = [u for u in spec.tasks[task_id].upstream if u in ends]
        slowest = max(upstream, key=ends.__getitem__, default=None)
        ends[task_id] = (ends[slowest] if slowest else 0.0) + left
        via[task_id] = slowest
    if not ends:
        return None
    last = max(ends, key=ends.__getitem__)
    path = [last]
    while (previous := via[path[-1]]) is not None:
        path.append(previous)
    remaining = ends[last]
    return Forecast(
        finish=now + timedelta(seconds=remaining),
        remaining_s=remaining,
        critical_path=tuple(reversed(path)),
        unknown=tuple(unknown),
    )
