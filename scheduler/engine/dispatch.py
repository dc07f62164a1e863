"""Which scheduled tries to start now: priority first, within every concurrency limit."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

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


def select_for_dispatch(
    runs: Iterable[LiveRun],
    active_tasks: Counter[str],
    free_slots: int,
    pools: PoolBudget | None = None,
) -> list[tuple[LiveRun, TIKey, bool]]:
    """Pick up to ``free_slots`` scheduled tries, highest ``priority_weight`` first, then
    the oldest run, then declaration order; no DAG goes past its ``max_active_tasks`` and,
    given ``pools``, no pool past its slots (a try takes its task's ``pool_slots``; one
    that does not fit lets smaller ones behind it go, as in Airflow). A pool that does not
    exist holds its tasks back.

    Returns ``(run, (task_id, map_index), compensation)``: compensations of compensating
    runs (sagas) compete for the same slots and limits as tasks.
    """
    if free_slots <= 0:
        return []
    candidates = []
    for run in runs:
        if run.state == RunState.COMPENSATING:
            candidates += _compensations(run)
            continue
        if run.state != RunState.RUNNING or not run.scheduled:
            continue
        order = run.spec.task_index
        for key in run.scheduled:
            task = run.spec.tasks[key[0]]
            candidates.append(
                (-task.priority_weight, run.logical_date, order[key[0]], key[1], run, key, False)
            )
    candidates.sort(key=lambda c: c[:4])
    picked: list[tuple[LiveRun, TIKey, bool]] = []
    in_flight = Counter(active_tasks)
    in_pool = Counter(pools.used) if pools is not None else Counter()
    for *_, run, key, compensation in candidates:
        if in_flight[run.dag_id] >= run.spec.max_active_tasks:
            continue
        if pools is not None:
            pool, slots = pool_of(run, key[0], compensation)
            if not _fits(pools, in_pool[pool], pool, slots, run.dag_id, key[0]):
                continue
            in_pool[pool] += slots
        picked.append((run, key, compensation))
        in_flight[run.dag_id] += 1
        if len(picked) == free_slots:
            break
    return picked


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


def _compensations(run: LiveRun) -> list[tuple]:
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
