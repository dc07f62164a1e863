"""Drives runs forward: executor events in, plans, task dispatch out.

``RunDriver`` is the part of the Engine shared by the scheduler daemon and ``baton dags
test``: it owns the in-memory mirror of the active runs and turns every change into one
Store transaction. It never sleeps and never imports DAG files.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from scheduler.clock import utcnow
from scheduler.engine import deferral
from scheduler.engine.assets import record_task_outlets
from scheduler.engine.dispatch import PoolBudget, select_for_dispatch
from scheduler.engine.live import LiveRun, LiveState
from scheduler.engine.past import link_previous_run, past_states
from scheduler.engine.pool_rates import PoolRates
from scheduler.engine.saga import (
    SagaSteps,
    compensation_log_path,
    compensation_spec,
    should_compensate,
)
from scheduler.engine.stopping import StoppingTries
from scheduler.executor import ExecutorEvent, TaskFinished, TaskRequest, TaskStarted, TryKey
from scheduler.planner import (
    MAX_MAP_LENGTH,
    UNMAPPED,
    Expansion,
    TaskView,
    TIKey,
    after_failure,
    plan_run,
)
from scheduler.spec import DagSpec
from scheduler.states import ACTIVE_TASK_STATES, FINISHED_TASK_STATES, RunState, TaskState
from scheduler.store import dag_versions as version_store
from scheduler.store import runs as run_store
from scheduler.store.compensations import CompensationChange, change_compensations
from scheduler.store.mapping import expand_task
from scheduler.store.models import DagRunRow, TaskInstanceRow, task_try_table
from scheduler.store.pools import PoolLimit
from scheduler.store.sqlmodel_boundary import stored_id
from scheduler.store.transitions import TaskChange, change_run_state, change_task_states
from scheduler.store.xcom import (
    mappable_length,
    pushed_map_indexes,
    replace_xcoms,
    xcom_length,
)

log = logging.getLogger("baton.engine")

_INSERT_TRY = task_try_table.insert()
# A new try starts clean: the previous try's times and error stay in its task_try row.
_FRESH_TRY = {
    "start_date": None,
    "end_date": None,
    "duration": None,
    "next_retry_at": None,
    "error": None,
}
LOST_TRY_LIMIT = 3  # BATON_LOST_TRY_LIMIT's default
FINISHED_RESULT_STATES = {"success": TaskState.SUCCESS, "skipped": TaskState.SKIPPED}
_NONE = TaskView(TaskState.NONE)
# What a branch may still skip: tasks that have not been handed to a worker.
_SKIPPABLE = frozenset({TaskState.NONE, TaskState.SCHEDULED})


def log_path_for(
    logs_folder: Path,
    dag_id: str,
    run_id: str,
    task_id: str,
    try_number: int,
    map_index: int = UNMAPPED,
) -> Path:
    safe_run = run_id.replace("/", "_")
    folder = logs_folder / f"dag_id={dag_id}" / f"run_id={safe_run}" / f"task_id={task_id}"
    if map_index >= 0:  # Airflow's layout for the instances of a mapped task
        folder = folder / f"map_index={map_index}"
    return folder / f"attempt={try_number}.log"


class RunDriver:
    def __init__(
        self,
        *,
        logs_folder: Path,
        database_url: str,
        source: str,
        job_id: int | None = None,
        max_map_length: int = MAX_MAP_LENGTH,
        lost_try_limit: int = LOST_TRY_LIMIT,
    ) -> None:
        self.live = LiveState()
        self.max_map_length = max_map_length
        self.lost_try_limit = lost_try_limit
        self.finished_runs = 0  # runs ended so far: steps that wait on a run's end look
        self.logs_folder = logs_folder
        self.database_url = database_url
        self.source = source
        self.job_id = job_id
        self.saga = SagaSteps(self.live, source, job_id)
        self.saga.lost_try_limit = lost_try_limit
        # Tries the executor must stop (a run that timed out): the caller takes them.
        self.cancels: list[TryKey] = []
        # Cancelled tries not yet reported stopped: a saga waits for them (engine/stopping.py).
        self.stopping = StoppingTries()
        self.pool_rates = PoolRates()  # pools' rate limits, taken at dispatch
        # Asset events recorded since the last look at the asset queue (engine/assets.py).
        self.new_asset_events = 0
        # plan(hold_for_dispatch=True)'s changes, written with dispatch's (see plan).
        self._planned: list[TaskChange] = []

    # -- loading ---------------------------------------------------------------------------
    def adopt_runs(
        self, session: Session, rows: list[DagRunRow], specs: dict[str, DagSpec]
    ) -> list[TryKey]:
        """Mirror the given active run rows: new ones, and ones changed by a user action
        (their ``version`` moved). Returns the tries the executor must stop because a user
        took them out of queued/running."""
        stale, cancel = [], []
        for row in rows:
            live = self.live.get(row.dag_id, row.run_id)
            if live is not None and live.version != row.version:
                stale.append(live)
        for live in stale:
            self.live.remove(live)
        new = [r for r in rows if self.live.get(r.dag_id, r.run_id) is None and r.dag_id in specs]
        tis = run_store.task_instances_of_runs(session, [stored_id(r) for r in new])
        by_run: dict[int, list[TaskInstanceRow]] = {}
        for ti in tis:
            by_run.setdefault(ti.dag_run_id, []).append(ti)
        # A run keeps the tasks of the DAG version it was created with (issue 10 item 2).
        pinned = version_store.pinned_specs(
            session, [r.dag_version_id for r in new if r.dag_version_id]
        )
        for row in new:
            version = row.dag_version_id
            spec = specs[row.dag_id] if version is None else pinned.get(version, specs[row.dag_id])
            run = LiveRun.from_rows(row, spec, by_run.get(stored_id(row), []))
            self._load_lengths(session, run)
            self.live.add(run)
        for old in stale:
            fresh = self.live.get(old.dag_id, old.run_id)
            still = set(fresh.in_flight()) if fresh else set()
            cancel += [key for key in old.in_flight() if key not in still]
        self.stopping.add(cancel, utcnow())
        self._link_past(session, {r.dag_id for r in new} | {r.dag_id for r in stale})
        return cancel

    def _link_past(self, session: Session, dag_ids: set[str]) -> None:
        """A run of a DAG with depends_on_past tasks came or changed: which run precedes
        which may have changed too, so link that DAG's mirrored runs again."""
        for run in list(self.live.runs.values()):
            if run.dag_id in dag_ids and run.spec.past_dependents:
                link_previous_run(session, self.live, run)

    def _load_lengths(self, session: Session, run: LiveRun) -> None:
        """What the run's finished map sources produced: mapped tasks expand over it."""
        for task_id in run.spec.map_sources:
            if run.index.expanded.get(task_id):  # a mapped source: its instances' values
                pushed = pushed_map_indexes(session, run.dag_id, run.run_id, task_id)
                run.pushed[task_id] = pushed
                run.lengths[task_id] = len(pushed)
            elif run.tasks.get((task_id, UNMAPPED), _NONE).state == TaskState.SUCCESS:
                run.lengths[task_id] = xcom_length(session, run.dag_id, run.run_id, task_id)

    # -- runs ------------------------------------------------------------------------------
    def start_run(self, session: Session, run: LiveRun, now: datetime) -> None:
        change_run_state(
            session,
            run.dag_id,
            run.run_id,
            RunState.QUEUED,
            RunState.RUNNING,
            source=self.source,
            now=now,
            values={"start_date": now},
        )
        run.state = RunState.RUNNING
        run.start_date = now
        run.dirty = None  # plan every task once

    # -- executor events -------------------------------------------------------------------
    def apply_events(
        self, session: Session, events: Iterable[ExecutorEvent], now: datetime
    ) -> None:
        changes: list[TaskChange] = []
        phases: list[CompensationChange] = []
        for event in events:
            run = self.live.get(event.key.dag_id, event.key.run_id)
            if isinstance(event, TaskFinished) and self.stopping.release(event.key) and run:
                run.dirty = None  # a cancelled try is out: a waiting saga may go on
            if event.key.compensation:
                self._compensation_event(run, event, changes, phases)
                continue
            view = run.tasks.get(event.key.instance) if run else None
            if run is None or view is None or view.try_number != event.key.try_number:
                log.warning("ignoring a stale executor event for %s", event.key)
                continue
            if isinstance(event, TaskStarted):
                change = self._started(run, view, event)
            else:
                change = self._finished(session, run, view, event, now)
                if change is not None and event.skip_tasks:
                    changes += self._skip_requested(run, event)
            if change is not None:
                changes.append(change)
        # Phase changes first: a compensation that started and ended since the last
        # transaction is queued → running (phase), then compensating → compensated (task).
        change_compensations(session, phases, source=self.source, now=now)
        change_task_states(session, changes, source=self.source, now=now)

    def _compensation_event(
        self,
        run: LiveRun | None,
        event: ExecutorEvent,
        changes: list[TaskChange],
        phases: list[CompensationChange],
    ) -> None:
        change = self.saga.on_event(run, event) if run is not None else None
        if change is None:
            log.warning("ignoring a stale executor event for %s", event.key)
        elif isinstance(change, CompensationChange):
            phases.append(change)
        else:
            changes.append(change)

    def _started(self, run: LiveRun, view: TaskView, event: TaskStarted) -> TaskChange | None:
        if view.state != TaskState.QUEUED:
            return None
        values = {"start_date": event.started_at, "pid": event.pid, "hostname": event.hostname}
        self.live.set_task(run, event.key.instance, TaskView(TaskState.RUNNING, view.try_number))
        return TaskChange(
            run.dag_id,
            run.run_id,
            event.key.task_id,
            TaskState.QUEUED,
            TaskState.RUNNING,
            view.try_number,
            values=values,
            try_values={"state": TaskState.RUNNING, **values},
            map_index=event.key.map_index,
        )

    def _finished(
        self, session: Session, run: LiveRun, view: TaskView, event: TaskFinished, now: datetime
    ) -> TaskChange | None:
        if view.state not in (TaskState.QUEUED, TaskState.RUNNING):
            return None
        task_id, map_index = key = event.key.instance
        new_state, retry_at = self._outcome(run, key, event)
        started = event.started_at
        duration = (event.ended_at - started).total_seconds() if started else None
        values: dict[str, Any] = {  # task instance columns (TaskChange.values)
            "end_date": event.ended_at,
            "duration": duration,
            "next_retry_at": retry_at,
            "error": event.error,
        }
        if event.lost:
            values |= self._count_lost(run, key, new_state, event)
        # A deferred try's trigger, a rescheduled sensor's first poke (engine/deferral.py).
        deferral_values, resume = deferral.finished_values(session, event, now)
        values |= deferral_values
        if resume is None:
            run.resuming.pop(key, None)
        else:
            run.resuming[key] = resume
        if started is not None and view.state == TaskState.QUEUED:
            values["start_date"] = started
        # A first try that pushed nothing has nothing to replace: skip the statement.
        if event.xcoms or view.try_number > 1:
            xcoms = event.xcoms
            sealed = event.sealed_xcoms  # encrypted originals of XComs with a secret masked
            replace_xcoms(session, run.dag_id, run.run_id, task_id, xcoms, now, map_index, sealed)
        if new_state == TaskState.SUCCESS and event.outlet_events:  # in this transaction
            outlets = event.outlet_events
            self.new_asset_events += record_task_outlets(
                session, run, task_id, map_index, outlets, now
            )
        if task_id in run.spec.map_sources and new_state == TaskState.SUCCESS:
            self._count_items(run, key, event)
        self.live.set_task(run, key, TaskView(new_state, view.try_number, retry_at))
        # Itself too: a retry to schedule, or a leaf that may finish the run.
        run.mark_dirty((task_id, *run.spec.downstream[task_id]))
        try_state = TaskState.FAILED if new_state == TaskState.UP_FOR_RETRY else new_state
        try_values = {
            "state": try_state,
            "end_date": event.ended_at,
            "duration": duration,
            "error": values["error"],
        }
        if started is not None:
            try_values["start_date"] = started
        return TaskChange(
            run.dag_id,
            run.run_id,
            task_id,
            view.state,
            new_state,
            view.try_number,
            values=values,
            try_values=try_values,
            detail=values["error"],
            map_index=map_index,
        )

    def _count_lost(
        self, run: LiveRun, key: TIKey, new_state: TaskState, event: TaskFinished
    ) -> dict[str, Any]:
        """A try lost to the infrastructure: count it, and re-run it without using up a
        retry (its retries count from the next try), unless it was lost too often."""
        lost = run.lost[key] = run.lost.get(key, 0) + 1
        values: dict[str, Any] = {"lost_count": lost}
        if new_state == TaskState.UP_FOR_RETRY:
            run.retry_base[key] = run.retry_base.get(key, 0) + 1
            values["retry_base"] = run.retry_base[key]
            values["error"] = (
                f"{event.error}; re-running it at once (lost try {lost} of "
                f"BATON_LOST_TRY_LIMIT={self.lost_try_limit}; the task's retries are not used)"
            )
        else:
            values["error"] = (
                f"{event.error}; failing it: its tries were lost {lost} times, more than "
                f"BATON_LOST_TRY_LIMIT={self.lost_try_limit} (does the task kill its worker?)"
            )
        return values

    def _count_items(self, run: LiveRun, key: TIKey, event: TaskFinished) -> None:
        """A map source finished: how many items a task mapped over it gets (an unmapped
        source: the items of its return value; a mapped one: one per instance that
        returned something)."""
        task_id, map_index = key
        returned = dict(event.xcoms).get("return_value")
        if map_index >= 0:  # a set, so a cleared instance that runs again counts once
            pushed = run.pushed.setdefault(task_id, set())
            if returned is None:
                pushed.discard(map_index)
            else:
                pushed.add(map_index)
            run.lengths[task_id] = len(pushed)
        elif returned is None:
            run.lengths[task_id] = mappable_length(task_id, None, missing=True)
        else:
            run.lengths[task_id] = mappable_length(task_id, json.loads(returned))

    def _skip_requested(self, run: LiveRun, event: TaskFinished) -> list[TaskChange]:
        """Skip the tasks a branch or short circuit did not follow, if not started yet; their
        downstream tasks are planned next, so the skip spreads through trigger rules."""
        reason = f"skipped by {event.key.task_id}: a branch not followed or a short circuit"
        changes = []
        own_index = event.key.map_index
        for task_id in event.skip_tasks:
            if task_id not in run.spec.tasks:
                continue
            for key in run.instances_of(task_id):
                if own_index >= 0 and key[1] >= 0 and key[1] != own_index:
                    continue  # in a mapped task group a branch decides for its own index
                view = run.tasks.get(key, _NONE)
                if view.state not in _SKIPPABLE:
                    continue
                self.live.set_task(run, key, TaskView(TaskState.SKIPPED, view.try_number))
                run.mark_dirty(run.spec.downstream[task_id])
                changes.append(
                    TaskChange(
                        run.dag_id,
                        run.run_id,
                        task_id,
                        view.state,
                        TaskState.SKIPPED,
                        view.try_number,
                        detail=reason,
                        map_index=key[1],
                    )
                )
        return changes

    def _outcome(
        self, run: LiveRun, key: TIKey, event: TaskFinished
    ) -> tuple[TaskState, datetime | None]:
        if event.state in FINISHED_RESULT_STATES:
            return FINISHED_RESULT_STATES[event.state], None
        if event.deferral is not None:  # gave its slot back: no retry is used
            return deferral.outcome(event) or (TaskState.FAILED, None)
        if event.lost:  # the infrastructure's fault: again at once, within the limit
            if run.lost.get(key, 0) < self.lost_try_limit:
                return TaskState.UP_FOR_RETRY, event.ended_at
            return TaskState.FAILED, None
        task = run.spec.tasks[key[0]]
        counted = run.tries_counted(key, event.key.try_number)
        return after_failure(
            task, counted, event.ended_at, event.retryable, event.key.idempotency_key
        )

    # -- planning --------------------------------------------------------------------------
    def plan(self, session: Session, now: datetime, *, hold_for_dispatch: bool = False) -> None:
        """Apply readiness decisions for every running run with something to reconsider.

        ``hold_for_dispatch``: the caller calls ``dispatch`` next in this transaction; the
        task changes are written with its own, so that a task scheduled and queued in one
        iteration costs one row update (``transitions.coalesce``)."""
        changes: list[TaskChange] = []
        phases: list[CompensationChange] = []
        for run in list(self.live.runs.values()):
            if run.state != RunState.RUNNING:
                if run.state == RunState.COMPENSATING:
                    self._plan_saga(session, run, now, changes, phases)
                continue
            deadline = _deadline(run)
            if deadline is not None and deadline <= now:
                self._time_out(session, run, now, changes, phases)
                continue
            due_retry = run.next_wakeup is not None and run.next_wakeup <= now
            if run.dirty is not None and not run.dirty and not due_retry:
                continue
            candidates = None if run.dirty is None or due_retry else run.dirty
            result = plan_run(
                run.spec,
                run.tasks,
                now,
                candidates,
                index=run.index,
                lengths=run.lengths,
                max_map_length=self.max_map_length,
                past=past_states(self.live, run),
            )
            run.dirty, run.next_wakeup = set(), _earliest(result.next_wakeup, deadline)
            for step in _in_order(result):
                if isinstance(step, Expansion):
                    self._expand(session, run, step, now)
                    continue
                view = run.tasks.get(step.key, _NONE)
                self.live.set_task(run, step.key, TaskView(step.new_state, view.try_number))
                changes.append(
                    TaskChange(
                        run.dag_id,
                        run.run_id,
                        step.task_id,
                        step.old_state,
                        step.new_state,
                        view.try_number,
                        detail=step.reason,
                        map_index=step.map_index,
                    )
                )
            if result.run_state == RunState.FAILED and should_compensate(run):
                self.saga.begin(session, run, now)
                log.info("run %s/%s failed: compensating", run.dag_id, run.run_id)
                self._plan_saga(session, run, now, changes, phases)
            elif result.run_state is not None:
                self._finish_run(session, run, result.run_state, now)
        changes = self._planned + changes  # a second plan in one pass (backfills) adds on
        if hold_for_dispatch and not phases:  # a saga's phases go in order with its tasks
            self._planned = changes
            return
        self._planned = []
        change_task_states(session, changes, source=self.source, now=now)
        change_compensations(session, phases, source=self.source, now=now)

    def drop_held_changes(self) -> None:
        """Forget what ``plan(hold_for_dispatch=True)`` held: its transaction failed."""
        self._planned = []

    def _time_out(
        self,
        session: Session,
        run: LiveRun,
        now: datetime,
        changes: list[TaskChange],
        phases: list[CompensationChange],
    ) -> None:
        """Airflow's dagrun_timeout: the run fails and its unfinished task instances are
        skipped; the tries still queued or running are stopped."""
        timeout = run.spec.dagrun_timeout_s
        reason = f"the run timed out (dagrun_timeout={timeout:g}s since it started)"
        for key, view in list(run.tasks.items()):
            if view.state in FINISHED_TASK_STATES:
                continue
            if view.state in ACTIVE_TASK_STATES:
                stop = TryKey(run.dag_id, run.run_id, key[0], view.try_number, False, key[1])
                self.cancels.append(stop)
                self.stopping.add([stop], now)
            self.live.set_task(run, key, TaskView(TaskState.SKIPPED, view.try_number))
            try_values = {}
            if view.state in ACTIVE_TASK_STATES:
                try_values = {"state": TaskState.SKIPPED, "end_date": now, "error": reason}
            changes.append(
                TaskChange(
                    run.dag_id,
                    run.run_id,
                    key[0],
                    view.state,
                    TaskState.SKIPPED,
                    view.try_number,
                    values={"end_date": now} if view.state in ACTIVE_TASK_STATES else {},
                    try_values=try_values,
                    detail=reason,
                    map_index=key[1],
                )
            )
        log.warning("run %s/%s: %s", run.dag_id, run.run_id, reason)
        if should_compensate(run):
            self.saga.begin(session, run, now)
            self._plan_saga(session, run, now, changes, phases)
        else:
            self._finish_run(session, run, RunState.FAILED, now)

    def take_cancels(self) -> list[TryKey]:
        """The tries to stop since the last call (the caller cancels them after commit)."""
        cancels, self.cancels = self.cancels, []
        return cancels

    def _expand(self, session: Session, run: LiveRun, expansion: Expansion, now: datetime) -> None:
        """Replace a mapped task's unexpanded instance by its mapped instances, in the
        database and in the mirror."""
        expand_task(
            session,
            run.spec,
            run.pk,
            run.run_id,
            expansion.task_id,
            expansion.length,
            expansion.state,
            reason=expansion.reason,
            source=self.source,
            now=now,
        )
        self.live.expand(run, expansion.task_id, expansion.length, expansion.state)
        log.info(
            "run %s/%s: %s expanded into %d instances",
            run.dag_id,
            run.run_id,
            expansion.task_id,
            expansion.length,
        )

    def _plan_saga(
        self,
        session: Session,
        run: LiveRun,
        now: datetime,
        changes: list[TaskChange],
        phases: list[CompensationChange],
    ) -> None:
        """Plan a compensating run when a compensation ended or a retry is due."""
        due_retry = run.next_wakeup is not None and run.next_wakeup <= now
        if run.dirty is not None and not due_retry:
            return
        stopping, give_up_at = self.stopping.of_run(run.dag_id, run.run_id, now)
        task_changes, phase_changes, end = self.saga.plan(run, now, stopping)
        run.next_wakeup = _earliest(run.next_wakeup, give_up_at)
        run.dirty = set()
        changes += task_changes
        phases += phase_changes
        if end is not None:
            self._finish_run(session, run, end, now)

    def _finish_run(self, session: Session, run: LiveRun, state: RunState, now: datetime) -> None:
        change_run_state(
            session,
            run.dag_id,
            run.run_id,
            run.state,
            state,
            source=self.source,
            now=now,
            values={"end_date": now},
        )
        run.state = state
        self.live.remove(run)
        self.finished_runs += 1
        log.info("run %s/%s finished: %s", run.dag_id, run.run_id, state)

    def next_wakeup(self) -> datetime | None:
        times = [r.next_wakeup for r in self.live.runs.values() if r.next_wakeup is not None]
        if self.pool_rates.next_due is not None:  # a rate-limited pool's next token
            times.append(self.pool_rates.next_due)
        return min(times, default=None)

    # -- dispatch --------------------------------------------------------------------------
    def dispatch(
        self,
        session: Session,
        free_slots: int,
        now: datetime,
        paused: AbstractSet[str] = frozenset(),
        pools: Mapping[str, PoolLimit] | None = None,
        others: tuple[Counter[str], Counter[str]] | None = None,
    ) -> list[TaskRequest]:
        """Queue the tries to start now; the caller submits them after the commit.

        Runs of paused DAGs get no new tries (Airflow's meaning of pause). Given ``pools``
        (the scheduler's), no pool goes past its slots; without, pools are not applied
        (``baton dags test`` runs one DAG in its own process). ``others``: the pool slots
        other schedulers' tries take, (queued + running, deferred)."""
        runs: Iterable[LiveRun] = self.live.runs.values()
        if paused:
            runs = [r for r in runs if r.dag_id not in paused]
        budget = None
        if pools is not None:
            used, deferred = self.live.pool_slots, self.live.pool_deferred
            if others is not None:  # several schedulers: the slots the others' tries take
                used, deferred = used + others[0], deferred + others[1]
            budget = PoolBudget(pools, used, deferred, self.pool_rates.gate(session, pools, now))
        picked = select_for_dispatch(
            runs, self.live.active_tasks, free_slots, budget, self.live.active_by_task
        )
        changes, self._planned = self._planned, []  # what plan held for this statement
        tries, requests = [], []
        phases: list[CompensationChange] = []
        row: dict[str, Any] | None
        for run, key, compensation in picked:
            if compensation:
                phase, row, request = self._queue_compensation(run, key[0], now)
                phases.append(phase)
            else:
                change, row, request = self._queue_try(run, key, now)
                changes.append(change)
            if row is not None:  # None: a resumed try, whose row exists
                tries.append(row)
            requests.append(request)
        change_task_states(session, changes, source=self.source, now=now)
        change_compensations(session, phases, source=self.source, now=now)
        if tries:
            session.connection().execute(_INSERT_TRY, tries)
        return requests

    def _queue_try(
        self, run: LiveRun, key: TIKey, now: datetime
    ) -> tuple[TaskChange, dict[str, Any] | None, TaskRequest]:
        """The next try of a scheduled instance: its state change, its try row, its request."""
        task_id, map_index = key
        # A resumed try (deferred, rescheduled) keeps its try number and row (Airflow's).
        resume = run.resuming.pop(key, None)
        number = run.tasks[key].try_number + (0 if resume else 1)
        path = log_path_for(self.logs_folder, run.dag_id, run.run_id, task_id, number, map_index)
        self.live.set_task(run, key, TaskView(TaskState.QUEUED, number))
        change = TaskChange(
            run.dag_id,
            run.run_id,
            task_id,
            TaskState.SCHEDULED,
            TaskState.QUEUED,
            number,
            values={"try_number": number, "queued_at": now, "scheduler_job_id": self.job_id}
            | _FRESH_TRY,
            map_index=map_index,
        )
        row: dict[str, Any] | None = {  # the try's row; a resumed try keeps its own
            "dag_id": run.dag_id,
            "run_id": run.run_id,
            "task_id": task_id,
            "map_index": map_index,
            "try_number": number,
            "kind": "task",
            "state": TaskState.QUEUED,
            "queued_at": now,
            "log_path": str(path),
        }
        if resume is not None:
            change = replace(change, try_values={"state": TaskState.QUEUED, "queued_at": now})
            row = None
        request = self._request(run, task_id, number, path, map_index=map_index)
        return change, row, replace(request, resume=resume) if resume else request

    def _queue_compensation(
        self, run: LiveRun, task_id: str, now: datetime
    ) -> tuple[CompensationChange, dict[str, Any], TaskRequest]:
        number = run.compensations[task_id].try_number + 1
        path = log_path_for(self.logs_folder, run.dag_id, run.run_id, task_id, number)
        path = compensation_log_path(path)
        change, row = self.saga.queue(run, task_id, number, path, now)
        return change, row, self._request(run, task_id, number, path, compensation=True)

    def _request(
        self,
        run: LiveRun,
        task_id: str,
        number: int,
        path: Path,
        compensation: bool = False,
        map_index: int = UNMAPPED,
    ) -> TaskRequest:
        task = run.spec.tasks[task_id]
        if compensation:
            task = compensation_spec(run, task_id)
        return TaskRequest(
            dag_id=run.dag_id,
            task_id=task_id,
            run_id=run.run_id,
            try_number=number,
            fileloc=run.spec.fileloc,
            log_path=str(path),
            logical_date=run.logical_date,
            data_interval_start=run.data_interval_start,
            data_interval_end=run.data_interval_end,
            run_type=run.run_type,
            conf=run.conf,
            execution_timeout_s=task.execution_timeout_s,
            database_url=self.database_url,
            compensation=compensation,
            map_index=map_index,
            queue=run.spec.tasks[task_id].queue,  # a compensation goes where its task went
        )


def _deadline(run: LiveRun) -> datetime | None:
    """When ``run`` times out (dagrun_timeout after its start); None: it cannot."""
    timeout = run.spec.dagrun_timeout_s
    if timeout is None or run.start_date is None:
        return None
    return run.start_date + timedelta(seconds=timeout)


def _earliest(*times: datetime | None) -> datetime | None:
    return min((t for t in times if t is not None), default=None)


def _in_order(plan: Any) -> list[Any]:
    """A plan's expansions and transitions, each instance changed after the expansion that
    created it (a mapped task group's instances are decided in the plan that expands them)."""
    expanded = {e.task_id for e in plan.expansions}
    first = [t for t in plan.transitions if t.task_id not in expanded or t.map_index < 0]
    later = [t for t in plan.transitions if t.task_id in expanded and t.map_index >= 0]
    return first + list(plan.expansions) + later
