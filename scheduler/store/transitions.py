"""State changes of task instances and runs: validated, batched, logged.

Every change names the state it expects to leave; the UPDATE only matches rows still in that
state, so a change computed from a stale view is refused instead of silently overwriting a
newer one. Each change appends its event in the same transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Update, and_, bindparam, update
from sqlalchemy.orm import Session

from scheduler.errors import ConcurrentChangeError
from scheduler.states import RunState, TaskState, check_run_transition, check_task_transition
from scheduler.store.events import Event, append_events
from scheduler.store.models import dag_run_table, task_instance_table, task_try_table


@dataclass(frozen=True)
class TaskChange:
    """Move one task instance from ``old`` to ``new``, setting ``values`` on its row.

    ``try_values`` are set on the row of try ``try_number`` in ``task_try`` (when given);
    ``try_kind`` says which row: the task's own try or a compensation try (sagas).
    """

    dag_id: str
    run_id: str
    task_id: str
    old: TaskState
    new: TaskState
    try_number: int | None = None
    values: dict[str, Any] = field(default_factory=dict)
    try_values: dict[str, Any] = field(default_factory=dict)
    detail: str | None = None
    try_kind: str = "task"
    map_index: int = -1


def change_task_states(
    session: Session, changes: Sequence[TaskChange], *, source: str, now: datetime
) -> None:
    """Apply ``changes`` (any mix of states) in as few statements as possible."""
    if not changes:
        return
    for change in changes:
        what = f"task {change.dag_id}/{change.run_id}/{_label(change)}"
        check_task_transition(change.old, change.new, what)
    for wave in _waves(coalesce(changes)):
        groups: dict[tuple[Any, ...], list[TaskChange]] = defaultdict(list)
        for change in wave:
            groups[(change.old, change.new, tuple(sorted(change.values)))].append(change)
        for (old, new, columns), members in groups.items():
            _update_group(session, old, new, columns, members)
        _update_tries(session, [c for c in wave if c.try_values and c.try_number])
    append_events(session, [_event(c, source, now) for c in changes])


def coalesce(changes: Sequence[TaskChange]) -> list[TaskChange]:
    """Merge each run of consecutive changes of one task instance into one row update.

    A no-op try often starts and ends between two loop iterations (queued → running →
    success), and a task scheduled in an iteration is usually queued in the same one: one
    UPDATE from the first state to the last, with the values of each step applied in
    order, leaves the row as the steps one by one would, and still refuses a row that is
    no longer in the first state. Each step keeps its own event. Steps that write
    different tries' rows stay apart.
    """
    merged: list[TaskChange] = []
    last: dict[tuple[str, str, str, int], int] = {}  # instance -> its change in ``merged``
    for change in changes:
        key = (change.dag_id, change.run_id, change.task_id, change.map_index)
        at = last.get(key)
        if at is not None and _follows(merged[at], change):
            merged[at] = _merge(merged[at], change)
            continue
        last[key] = len(merged)
        merged.append(change)
    return merged


def _follows(first: TaskChange, then: TaskChange) -> bool:
    return (
        then.old == first.new
        and then.try_kind == first.try_kind
        and (not first.try_values or then.try_number == first.try_number)
    )


def _merge(first: TaskChange, then: TaskChange) -> TaskChange:
    return replace(
        first,
        new=then.new,
        try_number=then.try_number if then.try_number is not None else first.try_number,
        values={**first.values, **then.values},
        try_values={**first.try_values, **then.try_values},
        detail=then.detail,
    )


def _waves(changes: Sequence[TaskChange]) -> list[list[TaskChange]]:
    """Split so that each wave changes a task instance at most once, keeping their order.

    A try that started and finished between two loop iterations arrives as two changes
    (queued → running, running → success); they must be applied one after the other.
    """
    waves: list[list[TaskChange]] = []
    seen: list[set[tuple[str, str, str, int]]] = []
    for change in changes:
        key = (change.dag_id, change.run_id, change.task_id, change.map_index)
        level = max((i + 1 for i, keys in enumerate(seen) if key in keys), default=0)
        if level == len(waves):
            waves.append([])
            seen.append(set())
        waves[level].append(change)
        seen[level].add(key)
    return waves


@lru_cache(maxsize=256)
def _task_update(old: str, new: str, columns: tuple[str, ...]) -> Update:
    """The UPDATE for one kind of change, built once: the scheduler's hottest statement."""
    table = task_instance_table
    return (
        update(table)
        .where(
            and_(
                table.c.dag_id == bindparam("k_dag_id"),
                table.c.run_id == bindparam("k_run_id"),
                table.c.task_id == bindparam("k_task_id"),
                table.c.map_index == bindparam("k_map_index"),
                table.c.state == old,
            )
        )
        .values({"state": new, **{c: bindparam(f"v_{c}") for c in columns}})
    )


@lru_cache(maxsize=256)
def _try_update(columns: tuple[str, ...]) -> Update:
    table = task_try_table
    return (
        update(table)
        .where(
            and_(
                table.c.dag_id == bindparam("k_dag_id"),
                table.c.run_id == bindparam("k_run_id"),
                table.c.task_id == bindparam("k_task_id"),
                table.c.map_index == bindparam("k_map_index"),
                table.c.try_number == bindparam("k_try"),
                table.c.kind == bindparam("k_kind"),
            )
        )
        .values({c: bindparam(f"v_{c}") for c in columns})
    )


def _update_group(
    session: Session, old: str, new: str, columns: tuple[str, ...], members: list[TaskChange]
) -> None:
    params = [
        {
            "k_dag_id": m.dag_id,
            "k_run_id": m.run_id,
            "k_task_id": m.task_id,
            "k_map_index": m.map_index,
            **{f"v_{c}": m.values[c] for c in columns},
        }
        for m in members
    ]
    result = session.connection().execute(_task_update(str(old), str(new), columns), params)
    if result.rowcount != len(members):
        raise ConcurrentChangeError(
            f"{len(members) - result.rowcount} of {len(members)} task instance(s) were no "
            f"longer '{old}' when moving them to '{new}' (changed concurrently?); "
            f"first: {members[0].dag_id}/{members[0].run_id}/{_label(members[0])}"
        )


def _label(change: TaskChange) -> str:
    """``task`` or ``task[3]``: how messages name a task instance."""
    return change.task_id if change.map_index < 0 else f"{change.task_id}[{change.map_index}]"


def _update_tries(session: Session, changes: list[TaskChange]) -> None:
    groups: dict[tuple[str, ...], list[TaskChange]] = defaultdict(list)
    for change in changes:
        groups[tuple(sorted(change.try_values))].append(change)
    for columns, members in groups.items():
        session.connection().execute(
            _try_update(columns),
            [
                {
                    "k_dag_id": m.dag_id,
                    "k_run_id": m.run_id,
                    "k_task_id": m.task_id,
                    "k_map_index": m.map_index,
                    "k_try": m.try_number,
                    "k_kind": m.try_kind,
                    **{f"v_{c}": m.try_values[c] for c in columns},
                }
                for m in members
            ],
        )


def _event(change: TaskChange, source: str, now: datetime) -> Event:
    return Event.of_change("task_state", change, source, now)


def change_run_state(
    session: Session,
    dag_id: str,
    run_id: str,
    old: RunState,
    new: RunState,
    *,
    source: str,
    now: datetime,
    values: dict[str, Any] | None = None,
    detail: str | None = None,
) -> None:
    """Move one run from ``old`` to ``new`` (refused unless it is still ``old``)."""
    check_run_transition(old, new, f"run {dag_id}/{run_id}")
    table = dag_run_table
    result = session.connection().execute(
        update(table)
        .where(table.c.dag_id == dag_id, table.c.run_id == run_id, table.c.state == old)
        .values(state=new, **(values or {}))
    )
    if result.rowcount != 1:
        raise ConcurrentChangeError(
            f"run {dag_id}/{run_id} is no longer '{old}'; it was changed concurrently"
        )
    event = Event(
        event="run_state",
        ts=now,
        source=source,
        dag_id=dag_id,
        run_id=run_id,
        old_state=old,
        new_state=new,
        detail=detail,
    )
    append_events(session, [event])
