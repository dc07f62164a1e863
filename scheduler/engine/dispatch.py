"""Which scheduled tries to start now: priority first, within every concurrency limit."""

from __future__ import annotations

import heapq
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from scheduler.engine.live import LiveRun, pool_of
from scheduler.planner import UNMAPPED, TIKey
from scheduler.states import RunState, TaskState
from scheduler.store.pools import UNLIMITED, PoolLimit

log = logging.getLogger("baton.engine")
_warned: set[tuple[str, ...]] = set()  # one log line per stuck pool, not one per loop


@dataclass(frozen=True)
class PoolBudget:
    """The pools' limits and the slots their tries take now (``LiveState``'s counters)."""

    limits: Mapping[str, PoolLimit]
    used: Counter[str]  # queued + running
    deferred: Counter[str]
    # A pool's rate limit: True takes a token for one try (``engine/pool_rates.py``).
    admit: Callable[[str], bool] | None = None


def select_for_dispatch(
    runs: Iterable[LiveRun],
    active_tasks: Counter[str],
    free_slots: int,
    pools: PoolBudget | None = None,
    task_active: Counter[tuple[str, str]] | None = None,
) -> list[tuple[LiveRun, TIKey, bool]]:
    """Pick up to ``free_slots`` scheduled tries, highest ``priority_weight`` first, then
    the oldest run, then declaration order; no DAG goes past its ``max_active_tasks`` and,
    given ``pools``, no pool past its slots (a try takes its task's ``pool_slots``; one
    that does not fit lets smaller ones behind it go, as in Airflow). A pool that does not
    exist holds its tasks back. No task goes past its ``max_active_tis_per_dag`` (instances
    queued or running in all runs, counted in ``task_active`` by (dag_id, task_id)) or
    ``max_active_tis_per_dagrun`` (in its run, ``LiveRun.active_by_task``).

    Returns ``(run, (task_id, map_index), compensation)``: compensations of compensating
    runs (sagas) compete for the same slots and limits as tasks.
    """
    if free_slots <= 0:
        return []
    streams = _Streams(runs)
    try:
        return _pick(streams, active_tasks, free_slots, pools, task_active)
    finally:
        streams.put_back()


def _pick(
    candidates: _Streams,
    active_tasks: Counter[str],
    free_slots: int,
    pools: PoolBudget | None,
    task_active: Counter[tuple[str, str]] | None,
) -> list[tuple[LiveRun, TIKey, bool]]:
    picked: list[tuple[LiveRun, TIKey, bool]] = []
    in_flight = Counter(active_tasks)
    in_pool = Counter(pools.used) if pools is not None else Counter()
    per_task = _TaskLimits(task_active if task_active is not None else Counter())
    for *_, run, key, compensation in candidates:
        if in_flight[run.dag_id] >= run.spec.max_active_tasks:
            candidates.block(run.dag_id)  # nothing more of this DAG fits: stop reading it
            continue
        if not compensation and not per_task.fits(run, key[0]):
            continue
        if pools is not None:
            pool, slots = pool_of(run, key[0], compensation)
            if not _fits(pools, in_pool[pool], pool, slots, run.dag_id, key[0]):
                continue
            if pools.admit is not None and not pools.admit(pool):
                continue
            in_pool[pool] += slots
        picked.append((run, key, compensation))
        in_flight[run.dag_id] += 1
        if not compensation:
            per_task.take(run, key[0])
        if len(picked) == free_slots:
            break
    return picked


class _TaskLimits:
    """max_active_tis_per_dag / _per_dagrun: the counts in flight plus this call's picks
    (kept apart so that a dispatch costs what it picks, not a copy of every counter)."""

    def __init__(self, active: Counter[tuple[str, str]]) -> None:
        self.active = active
        self.picked: Counter[tuple[str, ...]] = Counter()

    def fits(self, run: LiveRun, task_id: str) -> bool:
        task = run.spec.tasks[task_id]
        per_dag, per_run = task.max_active_tis_per_dag, task.max_active_tis_per_dagrun
        if per_dag is not None:
            key = (run.dag_id, task_id)
            if self.active[key] + self.picked[key] >= per_dag:
                return False
        if per_run is None:
            return True
        in_run = run.active_by_task[task_id] + self.picked[(run.dag_id, run.run_id, task_id)]
        return in_run < per_run

    def take(self, run: LiveRun, task_id: str) -> None:
        task = run.spec.tasks[task_id]
        if task.max_active_tis_per_dag is not None:
            self.picked[(run.dag_id, task_id)] += 1
        if task.max_active_tis_per_dagrun is not None:
            self.picked[(run.dag_id, run.run_id, task_id)] += 1


class _Streams:
    """Every run's dispatchable instances merged into one stream in dispatch order
    (priority, then the oldest run, then declaration order, then map_index), read lazily
    from each run's ``ready`` heap; ``put_back`` returns what was read but not picked."""

    def __init__(self, runs: Iterable[LiveRun]) -> None:
        self.taken: list[tuple[LiveRun, list[Any]]] = []
        self.heads: list[tuple[Any, ...]] = []
        self.blocked: set[str] = set()
        for seq, run in enumerate(runs):
            if run.state == RunState.COMPENSATING:
                stream: Iterator[tuple[Any, ...]] = iter(
                    sorted(_compensations(run), key=lambda c: c[:4])
                )
            elif run.state == RunState.RUNNING and run.scheduled:
                taken: list[Any] = []
                self.taken.append((run, taken))
                stream = _run_stream(run, taken)
            else:
                continue
            self._advance(seq, stream)

    def _advance(self, seq: int, stream: Iterator[tuple[Any, ...]]) -> None:
        candidate = next(stream, None)
        if candidate is not None:
            heapq.heappush(self.heads, (candidate[:4], seq, candidate, stream))

    def block(self, dag_id: str) -> None:
        """Read no more candidates of ``dag_id`` (it reached a limit)."""
        self.blocked.add(dag_id)

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        while self.heads:
            _, seq, candidate, stream = heapq.heappop(self.heads)
            yield candidate
            if candidate[4].dag_id not in self.blocked:
                self._advance(seq, stream)

    def put_back(self) -> None:
        for run, taken in self.taken:
            run.put_back(taken)


def _run_stream(run: LiveRun, taken: list[Any]) -> Iterator[tuple[Any, ...]]:
    order = run.spec.task_index
    for key in run.pop_ready(taken):
        task = run.spec.tasks[key[0]]
        yield (-task.priority_weight, run.logical_date, order[key[0]], key[1], run, key, False)


def _fits(budget: PoolBudget, used: int, pool: str, slots: int, dag_id: str, task: str) -> bool:
    limit = budget.limits.get(pool)
    if limit is None:  # deleted, or the DAG was stored before pools were checked
        _warn_once(
            (pool,),
            "pool '%s' does not exist: %s.%s and other tasks naming it wait until "
            "`baton pools set %s SLOTS DESCRIPTION` creates it",
            pool,
            dag_id,
            task,
            pool,
        )
        return False
    if limit.slots != UNLIMITED and slots > limit.slots:  # the pool shrank below it
        _warn_once(
            (pool, dag_id, task),
            "%s.%s needs pool_slots=%d but pool '%s' has %d slots: it waits until the pool "
            "is enlarged",
            dag_id,
            task,
            slots,
            pool,
            limit.slots,
        )
        return False
    return limit.open_slots(used, budget.deferred[pool]) >= slots


def _warn_once(key: tuple[str, ...], message: str, *args: object) -> None:
    if key not in _warned:
        _warned.add(key)
        log.warning(message, *args)


def _compensations(run: LiveRun) -> list[tuple[Any, ...]]:
    order = run.spec.task_index
    return [
        (
            -run.spec.tasks[task_id].priority_weight,
            run.logical_date,
            order[task_id],
            UNMAPPED,
            run,
            (task_id, UNMAPPED),
            True,
        )
        for task_id, phase in run.compensations.items()
        if phase.state == TaskState.SCHEDULED
    ]
