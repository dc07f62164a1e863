"""The scheduler daemon: one event loop around the RunDriver.

It waits on everything that can require action — executor results, the Loader's pipe, the
wake-up socket, a signal — with a timeout equal to the next timer (a retry or a cron run
becoming due, the heartbeat). Each wake-up is one Store transaction, then the new tries are
submitted. Nothing sleeps between a task finishing and its downstream starting.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import time
from collections import Counter
from datetime import datetime, timedelta
from multiprocessing.connection import Connection, wait
from typing import Any

from sqlalchemy.orm import Session

from scheduler.clock import utcnow
from scheduler.engine.assets import create_asset_triggered_runs
from scheduler.engine.backfill import advance_backfills
from scheduler.engine.catalog import DagCatalog
from scheduler.engine.deferral import adopt_resumed
from scheduler.engine.driver import RunDriver
from scheduler.engine.outage import DatabaseOutage, is_outage, one_line
from scheduler.engine.recovery import lost_on_shutdown, recover_orphaned_tries
from scheduler.engine.scheduling import create_due_runs
from scheduler.engine.side_threads import start_side_threads
from scheduler.engine.wakeup import DatabaseWakeup, SchedulerLock, WakeupSocket
from scheduler.errors import LoaderError
from scheduler.executor import Executor, TaskRequest, TaskStarted, TryKey
from scheduler.executors import create_executor, register_after_fork_in_worker
from scheduler.loader import FileParsed, FilesDeleted, LoaderProcess, ScanComplete
from scheduler.plugins.import_path import put_plugins_on_path
from scheduler.settings import Settings
from scheduler.states import RunState
from scheduler.store import dags as dag_store
from scheduler.store import jobs, ownership
from scheduler.store import pools as pool_store
from scheduler.store import runs as run_store
from scheduler.store.db import make_engine, sqlite_file, transaction
from scheduler.store.events import process_source
from scheduler.store.races import describe_race, is_expected_race
from scheduler.store.schema import check_schema
from scheduler.store.xcom import xcom_reader_for

log = logging.getLogger("baton.scheduler")

DB_CHECK_INTERVAL = 2.0  # seconds between looks for runs triggered without a poke
STOP_GRACE = 10.0  # seconds running tries get to finish after SIGTERM
MAX_TIMEOUT = 5.0
MAX_FAILED_TICKS = 3
LOADER_RETRY_S = 30
# News that is cheaper written in a batch may wait a moment for more, when nothing else is
# due (see _holds_news). "A try started": a short try's end usually comes within 25 ms, and
# start and end then cost one transaction and one row update (transitions.coalesce); the
# try is running meanwhile, only its row lags. Files the loader parsed in a large pass: up
# to 64 of them are recorded in one sync instead of a few per transaction.
HOLD_STARTS_S = 0.025
HOLD_PARSED_S = 0.05
HOLD_PARSED_MAX = 64


class SchedulerService:
    def __init__(self, settings: Settings, executor: Executor | None = None) -> None:
        self.settings = settings
        self.db = make_engine(settings.database_url)
        self.source = process_source("scheduler")
        self.executor = executor or create_executor(settings, xcom_reader_for)
        # Forked workers must not touch the scheduler's pooled connections.
        register_after_fork_in_worker(lambda: self.db.dispose(close=False))
        self.catalog = DagCatalog()
        self.driver: RunDriver | None = None
        self.loader: LoaderProcess | None = None
        self.wakeup: WakeupSocket | None = None
        # On PostgreSQL, pokes from other machines (wake_schedulers) arrive by NOTIFY.
        self.db_wakeup = DatabaseWakeup(settings.database_url)
        database_file = sqlite_file(settings.database_url)
        self.lock = SchedulerLock(database_file) if database_file else None
        # The DAGs this scheduler drives (store/ownership.py); on SQLite, every DAG.
        self.owned: set[str] = set()
        self._claimed_before = False  # the catalog was loaded just before the first claim
        self._others_alive = False  # other live schedulers: pools are counted across them
        self._finished_runs_seen = 0
        self.outage = DatabaseOutage(settings.db_outage_limit)
        self._needs_resync = False
        self._signal_r, self._signal_w = socket.socketpair()
        self._signal_r.setblocking(False)
        self._stopping_since: float | None = None
        self._pending_events: list[Any] = []
        self._hold_until: float | None = None  # see _holds_news
        self._pending_messages: list[Any] = []
        self._to_cancel: list[TryKey] = []
        self._failed_ticks = 0
        self._loader_retry_at = 0.0
        self._loader_down = False
        self._loops = jobs.LoopStats()
        self._next_db_check = 0.0
        self._next_heartbeat = 0.0
        self._job_id: int | None = None
        self.pool_limits: dict[str, pool_store.PoolLimit] = {}

    # -- life cycle ------------------------------------------------------------------------
    def run(self) -> None:
        """Run until SIGTERM/SIGINT; raises ``BatonError`` if it cannot start."""
        check_schema(self.db)
        if self.lock:
            self.lock.acquire()
        self._start_loader()
        try:
            self._startup()
            self._loop()
        finally:
            self._shutdown()

    def _startup(self) -> None:
        now = utcnow()
        with transaction(self.db) as session:
            self._job_id = jobs.start_job(session, now)
            if self.lock:  # we hold the only lock: every other scheduler is gone
                jobs.end_other_jobs(session, self._job_id, now)
            else:  # an earlier scheduler of this machine that was killed: take over now
                ownership.end_dead_local_jobs(session, self._job_id, now)
            self.catalog.load(session)
            pool_store.ensure_default_pool(session, now)
            self.pool_limits = pool_store.pool_limits(session)
        # The first loop pass claims this scheduler's DAGs and adopts or re-runs the tries
        # a previous scheduler left in flight (engine/recovery.py).
        self.driver = RunDriver(
            logs_folder=self.settings.logs_folder,
            database_url=self.settings.database_url,
            source=self.source,
            job_id=self._job_id,
            max_map_length=self.settings.max_map_length,
            lost_try_limit=self.settings.lost_try_limit,
        )
        self.executor.start()
        start_side_threads(self.settings, self.source)  # retention, DAG callbacks
        self.wakeup = WakeupSocket(self.settings.home)
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._on_signal)
        log.info(
            "scheduler started (pid %d, executor %s, parallelism %d, dags %s)",
            os.getpid(),
            self.settings.executor,
            self.settings.parallelism,
            self.settings.dags_folder,
        )

    def _start_loader(self) -> None:
        """Fork the DAG loader first: it parses while the scheduler recovers and starts its
        workers, and it inherits no connection or worker pipe."""
        self.db.dispose()
        # Before any fork: the loader, its children and the workers inherit the path, so a
        # DAG file can import its plugin's operator by the plugin module's name.
        put_plugins_on_path(self.settings)
        self.loader = LoaderProcess(
            self.settings.dags_folder,
            interval=self.settings.dag_dir_list_interval,
            timeout=self.settings.dag_file_import_timeout,
            parallelism=max(1, os.cpu_count() or 1),
        )
        self.loader.start()

    def _alive_jobs(self, session: Session, now: datetime) -> set[int]:
        """The live schedulers' job ids, this one's always included (its own heartbeat may
        be late after a database outage, but it is alive)."""
        mine = {self._job_id} if self._job_id is not None else set()
        if self.lock:
            return mine
        threshold = timedelta(seconds=self.settings.scheduler_health_threshold)
        return jobs.alive_job_ids(session, now, threshold) | mine

    def _on_signal(self, signum: int, _frame: Any) -> None:
        if self._stopping_since is not None:  # a second signal: stop now
            raise KeyboardInterrupt
        log.info("received %s: finishing running tries, then stopping", signal.Signals(signum).name)
        self._stopping_since = time.monotonic()
        self._signal_w.send(b"!")

    def _shutdown(self) -> None:
        if self.loader:
            self.loader.stop()
        # Tries that can outlive this process (on Celery workers) keep running: the
        # scheduler that takes over these DAGs adopts them. The others are lost.
        in_flight = self._tries_in_flight()
        surviving = set(self.executor.detach())
        lost = [key for key in in_flight if key not in surviving]
        now = utcnow()
        if self._job_id is not None:
            try:
                with transaction(self.db) as session:
                    if lost and self.driver:  # the grace period ran out
                        self.driver.apply_events(session, lost_on_shutdown(lost, now), now)
                    jobs.end_job(session, self._job_id, now)
            except Exception as exc:  # the database is gone: the next scheduler recovers
                log.error("could not record the scheduler's stop: %s", one_line(exc))
        if self.wakeup:
            self.wakeup.close()
        self.db_wakeup.close()
        if self.lock:
            self.lock.release()
        log.info("scheduler stopped")

    def _tries_in_flight(self) -> list[TryKey]:
        if self.driver is None:
            return []
        return [key for run in self.driver.live.runs.values() for key in run.in_flight()]

    def _has_tries_in_flight(self) -> bool:
        return self.driver is not None and sum(self.driver.live.active_tasks.values()) > 0

    # -- the loop --------------------------------------------------------------------------
    def _loop(self) -> None:
        assert self.loader and self.wakeup
        while True:
            if self._stopping_since is not None and self._done_stopping():
                return
            # Rebuilt each time: a restarted loader or worker brings a new handle.
            handles: list[Connection | socket.socket | int] = [
                self._signal_r,
                self.wakeup.fileno(),
                *self.db_wakeup.handles(),
            ]
            if not self._loader_down:
                handles.append(self.loader.connection)
            wait(handles + self.executor.wait_handles(), timeout=self._timeout())
            started = time.perf_counter()
            self._tick()
            self._loops.add(time.perf_counter() - started)

    def _done_stopping(self) -> bool:
        assert self._stopping_since is not None
        idle = not self._has_tries_in_flight()
        return idle or time.monotonic() - self._stopping_since > STOP_GRACE

    def _timeout(self) -> float:
        now, mono = utcnow(), time.monotonic()
        timers = [self._next_db_check - mono, self._next_heartbeat - mono, MAX_TIMEOUT]
        assert self.driver
        for when in (self.driver.next_wakeup(), self.catalog.next_due(now)):
            if when is not None:
                timers.append((when - now).total_seconds())
        deadline = getattr(self.executor, "next_deadline", lambda: None)()
        if deadline is not None:
            timers.append(deadline - mono)
        if self._needs_resync:  # a failed transaction: try again at once, or after backoff
            timers.append(self.outage.retry_in(mono))
        if self._hold_until is not None:
            timers.append(self._hold_until - mono)
        return max(0.0, min(timers))

    def _tick(self) -> None:
        assert self.loader and self.wakeup and self.driver
        with contextlib.suppress(BlockingIOError):
            self._signal_r.recv(64)
        self._pending_events += self.executor.collect()
        self._pending_messages += self._receive_from_loader()
        poked = self.wakeup.drain() + self.db_wakeup.drain() > 0
        now, mono = utcnow(), time.monotonic()
        if not self.outage.may_try(mono):  # backing off while the database is away
            return
        check_db = poked or mono >= self._next_db_check or self._needs_resync
        if self._holds_news(now, mono, check_db):
            return
        try:
            if self._needs_resync:
                self._resync()
            requests = self._transaction(now, check_db)
        except Exception as exc:
            self._needs_resync = True  # the mirror may hold what was rolled back
            if is_outage(exc):  # wait it out; nothing pending is dropped
                self.outage.failed(exc, mono, kept=len(self._pending_events))
                return
            self._failed_ticks += 1
            if is_expected_race(exc):  # another writer was first: reload and decide again
                log.info("lost a race for a row, reloading: %s", describe_race(exc))
            else:
                log.exception("scheduler loop transaction failed (%d in a row)", self._failed_ticks)
            if self._failed_ticks >= MAX_FAILED_TICKS:
                self._isolate_failing_input()
            return
        self.outage.recovered(mono)
        self._needs_resync = False
        self._failed_ticks = 0
        self._pending_events, self._pending_messages = [], []
        if mono >= self._next_db_check:
            self._next_db_check = mono + DB_CHECK_INTERVAL
        for key in self._to_cancel:
            log.info("stopping %s: its state changed under it", key.idempotency_key)
            self.executor.cancel(key)
        self._to_cancel = []
        for request in requests:
            self.executor.submit(request)

    def _holds_news(self, now: datetime, mono: float, check_db: bool) -> bool:
        """Whether this pass leaves the database alone for a moment: all it has to write is
        tries that started and files of a large parse pass (HOLD_* above), held for less
        than their hold, and nothing else is due."""
        events, messages = self._pending_events, self._pending_messages
        holdable = (
            (events or messages)
            and not check_db
            and self._stopping_since is None
            and all(isinstance(event, TaskStarted) for event in events)
            and all(isinstance(message, FileParsed) for message in messages)
            and len(messages) < HOLD_PARSED_MAX
        )
        if not holdable:
            self._hold_until = None
            return False
        if self._hold_until is None:
            self._hold_until = mono + (HOLD_STARTS_S if events else HOLD_PARSED_S)
        if mono >= self._hold_until or self._timer_due(now):
            self._hold_until = None
            return False
        return True

    def _timer_due(self, now: datetime) -> bool:
        assert self.driver
        due = [self.driver.next_wakeup(), self.catalog.next_due(now)]
        return any(when is not None and when <= now for when in due)

    def _receive_from_loader(self) -> list[Any]:
        """The loader's messages. A loader that keeps dying is stopped and started again
        later; the DAGs already known keep running meanwhile."""
        assert self.loader
        if self._loader_down:
            if time.monotonic() < self._loader_retry_at:
                return []
            self.loader.start()
            self._loader_down = False
        try:
            return self.loader.receive_all()
        except LoaderError as exc:
            log.error("%s; retrying in %d s (known DAGs keep running)", exc, LOADER_RETRY_S)
            self.loader.stop()
            self._loader_down = True
            self._loader_retry_at = time.monotonic() + LOADER_RETRY_S
            return []

    def _transaction(self, now: datetime, check_db: bool) -> list[TaskRequest]:
        assert self.driver
        with transaction(self.db) as session:
            self._apply_loader_messages(session, now)
            self.driver.apply_events(session, self._pending_events, now)
            if check_db:
                self.catalog.refresh_flags(session)
                self._refresh_pools(session)
                self._adopt_runs(session, now)
            if self._stopping_since is None:
                self._create_scheduled_runs(session, now)
                create_asset_triggered_runs(
                    session, self.driver, self.catalog, self.source, now, check_db=check_db
                )
            self._start_queued_runs(session, now)
            self.driver.plan(session, now, hold_for_dispatch=self._stopping_since is None)
            self._to_cancel += self.driver.take_cancels()  # runs that timed out
            requests = []
            if self._stopping_since is None:
                # A backfill moves when one of its runs ends or a user acts (a wake-up
                # makes this a database check): not a query on every pass.
                if check_db or self.driver.finished_runs != self._finished_runs_seen:
                    self._finished_runs_seen = self.driver.finished_runs
                    advance_backfills(session, self.driver, self.catalog, self.owned, now)
                requests = self.driver.dispatch(
                    session,
                    self.executor.free_slots,
                    now,
                    paused=self.catalog.paused(),
                    pools=self.pool_limits,
                    others=self._other_schedulers_pools(session),
                )
            if time.monotonic() >= self._next_heartbeat and self._job_id is not None:
                jobs.heartbeat(session, self._job_id, now, self._loops)
                self._next_heartbeat = time.monotonic() + self.settings.scheduler_heartbeat_sec
        return requests

    def _isolate_failing_input(self) -> None:
        """Apply pending inputs one per transaction so one bad input cannot block the rest.
        An input is dropped only when the database refuses it; an outage keeps them all."""
        assert self.driver
        self._resync()
        events, self._pending_events = self._pending_events, []
        messages, self._pending_messages = self._pending_messages, []
        for position, event in enumerate(events):
            try:
                with transaction(self.db) as session:
                    self.driver.apply_events(session, [event], utcnow())
            except Exception as exc:
                if is_outage(exc):
                    self._pending_events, self._pending_messages = events[position:], messages
                    return
                if is_expected_race(exc):
                    log.info("executor event %s lost a race: %s", event, describe_race(exc))
                else:
                    log.exception("dropping executor event %s: it cannot be recorded", event)
                self._resync()
        for position, message in enumerate(messages):
            try:
                with transaction(self.db) as session:
                    self._pending_messages = [message]
                    self._apply_loader_messages(session, utcnow())
            except Exception as exc:
                if is_outage(exc):
                    self._pending_messages = messages[position:]
                    return
                log.exception("dropping loader message %s: it cannot be recorded", message)
            finally:
                if self._pending_messages == [message]:
                    self._pending_messages = []
        self._failed_ticks = 0
        self._needs_resync = False

    def _resync(self) -> None:
        """Rebuild the mirror from the Store after a failed transaction."""
        assert self.driver
        self.driver.live.clear()
        self.driver.drop_held_changes()
        with transaction(self.db) as session:
            self.catalog.load(session)
            self._claimed_before = False
            self._adopt_runs(session, utcnow())

    # -- steps -----------------------------------------------------------------------------
    def _refresh_pools(self, session: Session) -> None:
        """Pick up pools users changed (``baton pools set`` pokes the scheduler). A new pool
        may be what a refused DAG file waits for: the loader then parses the files again."""
        limits = pool_store.pool_limits(session)
        gained = sorted(set(limits) - set(self.pool_limits))
        self.pool_limits = limits
        if gained and self.loader and pool_store.has_unknown_pool_errors(session):
            log.info("new pool(s) %s: parsing the DAG files again", ", ".join(gained))
            self.loader.request_rescan(full=True)

    def _apply_loader_messages(self, session: Session, now: datetime) -> None:
        """Record the loader's news in order; consecutive parsed files go in one batch."""
        parsed: list[dag_store.ParsedFile] = []
        for message in self._pending_messages:
            if isinstance(message, FileParsed):
                parsed.append(_parsed_file(message.result))
                continue
            self._record_parsed(session, parsed, now)
            parsed = []
            if isinstance(message, FilesDeleted):
                dag_store.deactivate_files(session, message.paths)
                self._drop_files(set(message.paths))
            elif isinstance(message, ScanComplete):
                dag_store.deactivate_missing(session, message.files)
                self._drop_files(
                    {e.spec.fileloc for e in self.catalog.entries.values()} - set(message.files)
                )
        self._record_parsed(session, parsed, now)

    def _record_parsed(
        self, session: Session, parsed: list[dag_store.ParsedFile], now: datetime
    ) -> None:
        if not parsed:
            return
        paused = self.settings.dags_are_paused_at_creation
        accepted = dag_store.sync_files(session, parsed, now=now, paused_at_creation=paused)
        self.catalog.update_specs(accepted, now, paused)
        paths, kept = {f.path for f in parsed}, {s.dag_id for s in accepted}
        self.catalog.drop(
            [
                dag_id
                for dag_id, entry in self.catalog.entries.items()
                if entry.spec.fileloc in paths and dag_id not in kept
            ]
        )

    def _drop_files(self, paths: set[str]) -> None:
        self.catalog.drop([d for d, e in self.catalog.entries.items() if e.spec.fileloc in paths])

    def _adopt_runs(self, session: Session, now: datetime) -> None:
        """Claim this scheduler's share of the DAGs, then mirror their active runs: new
        ones, ones others changed (triggers, clears, marks) and those of DAGs taken over
        from a scheduler that is gone, whose tries in flight are adopted or re-run."""
        assert self.driver and self._job_id is not None
        busy = {run.dag_id for run in self.driver.live.runs.values()}
        alive = self._alive_jobs(session, now)
        self._others_alive = len(alive) > 1
        owned = ownership.claim_dags(session, self._job_id, alive, busy)
        self._forget_dags(self.owned - owned)
        gained = owned - self.owned
        if gained and self._claimed_before:  # where the previous owner left its timetables
            self.catalog.reload(session, gained)
        self._claimed_before = True
        self.owned = owned
        self.catalog.only(owned)
        rows = run_store.active_runs(session, owner=self._job_id, exclude_run_types=("test",))
        self._to_cancel += self.driver.adopt_runs(session, rows, self.catalog.specs)
        adopt_resumed(session, self.driver.live)  # deferred tasks a triggerer resumed
        recover_orphaned_tries(session, self.driver, self.executor, self._job_id, now)

    def _other_schedulers_pools(self, session: Session) -> tuple[Counter[str], Counter[str]] | None:
        """With other schedulers alive and something to dispatch: lock the pools for this
        transaction and count the slots the others' tries take, so that a pool's ``slots``
        holds across schedulers. Alone (or on SQLite): None, no query."""
        assert self.driver and self._job_id is not None
        if not self._others_alive or self.executor.free_slots <= 0:
            return None
        if not any(run.scheduled for run in self.driver.live.runs.values()):
            return None
        return pool_store.lock_and_count_other_schedulers(session, self._job_id, self.catalog.specs)

    def _forget_dags(self, lost: set[str]) -> None:
        """DAGs another scheduler took over (this one looked gone to it): stop driving
        their runs, and stop their tries here (the new owner runs them again)."""
        assert self.driver
        for run in [r for r in self.driver.live.runs.values() if r.dag_id in lost]:
            log.warning(
                "run %s/%s: its DAG is now driven by another scheduler", run.dag_id, run.run_id
            )
            self._to_cancel += run.in_flight()
            self.driver.live.remove(run)

    def _create_scheduled_runs(self, session: Session, now: datetime) -> None:
        assert self.driver
        due = self.catalog.next_due(now)
        if due is None or due > now:  # the common case: nothing is due, no scan
            return
        self.catalog.invalidate()  # runs are about to be created: due times move
        for entry in self.catalog.entries.values():
            if entry.is_paused or entry.spec.dag_id not in self.owned:
                continue
            info = entry.refresh_upcoming(now)
            if info is None or info.run_after > now:
                continue
            # One row lock per DAG: a scheduler that lost this DAG a moment ago and does
            # not know yet cannot create the same run.
            if not ownership.lock_owned_dag(session, entry.spec.dag_id, self._job_id):
                continue
            active = sum(1 for r in self.driver.live.runs.values() if r.dag_id == entry.spec.dag_id)
            rows = create_due_runs(session, entry, active, source=self.source, now=now)
            for row in rows:
                log.info("created run %s/%s", row.dag_id, row.run_id)
            self.driver.adopt_runs(session, rows, self.catalog.specs)

    def _start_queued_runs(self, session: Session, now: datetime) -> None:
        assert self.driver
        paused = self.catalog.paused()
        running: dict[str, int] = {}
        for run in self.driver.live.runs.values():
            if run.state == RunState.RUNNING:
                running[run.dag_id] = running.get(run.dag_id, 0) + 1
        queued = [r for r in self.driver.live.runs.values() if r.state == RunState.QUEUED]
        for run in sorted(queued, key=lambda r: (r.logical_date, r.pk)):
            if run.dag_id in paused or running.get(run.dag_id, 0) >= run.spec.max_active_runs:
                continue
            self.driver.start_run(session, run, now)
            running[run.dag_id] = running.get(run.dag_id, 0) + 1


def _parsed_file(result: Any) -> dag_store.ParsedFile:
    """The Store's view of one ``FileResult`` from the loader."""
    problems = [dag_store.ImportProblem(e.filename, e.lineno, e.message) for e in result.errors]
    return dag_store.ParsedFile(result.path, result.dags, problems)
