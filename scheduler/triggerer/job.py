"""``TriggererJob``: the ``baton triggerer`` process (Airflow's TriggererJobRunner).

Every ``BATON_TRIGGERER_HEARTBEAT_SEC`` it does one short transaction in a thread (the loop
keeps running meanwhile): heartbeat, fail the deferrals that timed out, drop triggers no
task waits on any more, claim new triggers and those of dead triggerers
(``store/triggers.py``), and read the list it owns; the loop then starts and cancels
triggers to match. A fired event is stored at once, in its own transaction (the task
instance ``deferred → scheduled``, the event in ``next_kwargs``), then the scheduler's
wake-up socket is poked so the task is dispatched within milliseconds.

An asset watcher's trigger (``store/asset_watchers.py`` gives each watcher of an active,
unpaused DAG a trigger row, here, each heartbeat) keeps running: its events are stored in
batches, one transaction each (up to ``ASSET_BATCH`` events), as asset events queued for
the DAGs scheduled on the asset, and only then acknowledged to their broker (``ack()`` of
an ``AckedEvent``); a batch that cannot be stored is retried and stays unacknowledged.

A triggerer killed with -9 stops heartbeating; past ``BATON_TRIGGERER_HEALTH_THRESHOLD``
its triggers are claimed by another triggerer or by its own restart and run again from
their serialized kwargs (a ``TimeDeltaTrigger`` keeps its original moment). An event that
fired but was not stored before the kill is lost with the process; its trigger fires again
(a message received but not stored is not acknowledged: its broker delivers it again).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from scheduler.engine.wakeup import wake_schedulers
from scheduler.processes import set_process_name
from scheduler.settings import Settings
from scheduler.store import asset_watchers
from scheduler.store import triggers as store
from scheduler.store.assets import NewAssetEvent, record_events
from scheduler.store.db import make_engine, transaction
from scheduler.store.races import is_expected_race
from scheduler.store.schema import check_schema
from scheduler.triggerer.loop import Fired, TriggerLoop, Watched
from scheduler.triggers import serde
from scheduler.triggers.event_trigger import acknowledge

ASSET_BATCH = 1000  # asset events stored in one transaction, at most
_STOP_GRACE_S = 10.0  # a clean stop waits this long for a store and its acknowledgements

log = logging.getLogger("baton.triggerer")


def _now() -> datetime:
    return datetime.now(UTC)


class TriggererJob:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.source = f"triggerer:{os.getpid()}@{socket.gethostname()}"
        self.db: Engine | None = None
        self.job_id: int | None = None
        self._stop: asyncio.Event | None = None
        self.loop = TriggerLoop()
        self._stored: set[int] = set()  # fired and stored: never restarted by a stale list
        self._stored_batches: asyncio.Queue[list[Watched]] = asyncio.Queue()  # to acknowledge
        self._assets_idle = asyncio.Event()  # no asset store under way

    def run(self) -> None:
        set_process_name("baton-triggerer")
        self._put_code_on_path()
        self.db = make_engine(self.settings.database_url)
        check_schema(self.db)
        with transaction(self.db) as session:
            self.job_id = store.start_triggerer(
                session, socket.gethostname(), os.getpid(), self.settings.triggerer_capacity, _now()
            )
        log.info(
            "triggerer %s started (capacity %d)", self.job_id, self.settings.triggerer_capacity
        )
        try:
            asyncio.run(self._main())
        finally:
            with contextlib.suppress(Exception), transaction(self.db) as session:
                store.end_triggerer(session, self.job_id, _now())
            self.db.dispose()
            log.info("triggerer %s stopped", self.job_id)

    def _put_code_on_path(self) -> None:
        """Triggers are imported by classpath: the bundled ones, the plugins folder's and
        modules beside the DAG files, as Airflow's triggerer can."""
        from scheduler.plugins.import_path import put_plugins_on_path

        put_plugins_on_path(self.settings)
        folder = str(self.settings.dags_folder)
        if folder not in sys.path:
            sys.path.append(folder)

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        running = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            running.add_signal_handler(signum, self._stop.set)
        writer = asyncio.create_task(self._write_events(), name="event-writer")
        asset_writer = asyncio.create_task(self._write_asset_events(), name="asset-writer")
        acker = asyncio.create_task(self._acknowledge_stored(), name="acknowledger")
        try:
            while not self._stop.is_set():
                try:
                    owned = await asyncio.to_thread(self._sync_db)
                except Exception as exc:  # the database is away: keep the triggers running
                    log.warning("triggerer %s could not reach the database: %s", self.job_id, exc)
                else:
                    self._stored &= {t.id for t in owned}
                    self.loop.sync(t for t in owned if t.id not in self._stored)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        self._stop.wait(), timeout=self.settings.triggerer_heartbeat_sec
                    )
        finally:
            writer.cancel()
            await self._stop_asset_writes(asset_writer, acker)
            await asyncio.gather(writer, return_exceptions=True)
            await self.loop.stop()

    def _sync_db(self) -> list[store.StoredTrigger]:
        assert self.db is not None and self.job_id is not None
        now = _now()
        stale = timedelta(seconds=self.settings.triggerer_health_threshold)
        with transaction(self.db) as session:
            store.heartbeat(session, self.job_id, now)
            asset_watchers.assign_triggers(session, now)
            timed_out = store.time_out_deferrals(session, self.job_id, source=self.source, now=now)
            store.clean_unused(session)
            claimed = store.claim_triggers(
                session, self.job_id, self.settings.triggerer_capacity, now, stale
            )
            owned = store.triggers_of(session, self.job_id)
        if claimed:
            log.info("triggerer %s claimed %d trigger(s)", self.job_id, len(claimed))
        if timed_out:
            log.info("%d deferred task(s) timed out", timed_out)
            wake_schedulers(self.settings)
        return owned

    async def _write_events(self) -> None:
        """Store fired events as they come, a batch per transaction, then poke."""
        while True:
            batch = [await self.loop.events.get()]
            while not self.loop.events.empty():
                batch.append(self.loop.events.get_nowait())
            stored = await asyncio.to_thread(self._store, batch)
            for trigger_id, _, _ in batch:
                self.loop.forget(trigger_id)  # not stored: the next sync starts it again
            self._stored |= stored
            if stored:
                wake_schedulers(self.settings)

    async def _write_asset_events(self) -> None:
        """Store watchers' events a batch per transaction, then acknowledge them."""
        queue = self.loop.asset_events
        while True:
            self._assets_idle.set()
            batch = [await queue.get()]
            self._assets_idle.clear()  # a store under way: a clean stop waits for it
            while not queue.empty() and len(batch) < ASSET_BATCH:
                batch.append(queue.get_nowait())
            delay = 0.5
            while not await asyncio.to_thread(self._store_asset_events, batch):
                await asyncio.sleep(delay)  # the database is away: unacknowledged, retried
                delay = min(delay * 2, 10.0)
            # Acknowledged while the next batch is stored, in order (an AMQP ack with
            # ``multiple`` must not come after a later one).
            self._stored_batches.put_nowait(batch)

    async def _acknowledge_stored(self) -> None:
        while True:
            await self._acknowledge(await self._stored_batches.get())
            self._stored_batches.task_done()

    async def _stop_asset_writes(
        self, asset_writer: asyncio.Task[None], acker: asyncio.Task[None]
    ) -> None:
        """A clean stop acknowledges what it stored, so a restart does not store it twice:
        the batch being stored is finished (its thread cannot be interrupted anyway) and
        every stored batch acknowledged, within ``_STOP_GRACE_S``; what was received and
        not stored stays unacknowledged, for the broker to deliver again."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._assets_idle.wait(), _STOP_GRACE_S)
        asset_writer.cancel()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stored_batches.join(), _STOP_GRACE_S)
        acker.cancel()
        await asyncio.gather(asset_writer, acker, return_exceptions=True)

    def _store_asset_events(self, batch: list[Watched]) -> bool:
        assert self.db is not None
        events = [event for watched in batch for event in _asset_events(watched)]
        try:
            with transaction(self.db) as session:
                record_events(session, events, _now())
        except Exception:
            log.exception("could not store %d asset event(s); retrying", len(events))
            return False
        failed = sum(1 for event in events if event.error is not None)
        log.info("stored %d asset event(s) from watchers (%d failed)", len(events), failed)
        wake_schedulers(self.settings)
        return True

    async def _acknowledge(self, batch: list[Watched]) -> None:
        failed = await acknowledge(watched.event for watched in batch)
        for exc in failed:  # redelivered later: stored twice, never lost
            log.warning("could not acknowledge stored messages: %s", exc)

    def _store(self, batch: list[Fired]) -> set[int]:
        assert self.db is not None
        try:
            with transaction(self.db) as session:
                for fired in batch:
                    self._store_one(session, fired)
            return {trigger_id for trigger_id, _, _ in batch}
        except Exception:
            if len(batch) == 1:
                self._log_store_error(batch[0])
                return set()
        stored: set[int] = set()  # one bad event must not hold the others back
        for fired in batch:
            try:
                with transaction(self.db) as session:
                    self._store_one(session, fired)
                stored.add(fired[0])
            except Exception:
                self._log_store_error(fired)
        return stored

    def _store_one(self, session: Any, fired: Fired) -> None:
        trigger_id, payload, error = fired
        now = _now()
        if error is None:
            count = store.fire_trigger(session, trigger_id, payload, source=self.source, now=now)
        else:
            count = store.fail_trigger(session, trigger_id, error, source=self.source, now=now)
        log.info("trigger %s %s: %d task(s) resumed", trigger_id, error or "fired", count)

    def _log_store_error(self, fired: Fired) -> None:
        exc = sys.exc_info()[1]
        if exc is not None and is_expected_race(exc):
            log.info("trigger %s: its task changed meanwhile (%s)", fired[0], exc)
        else:
            log.exception("could not store the event of trigger %s; it runs again", fired[0])


def _asset_events(watched: Watched) -> list[NewAssetEvent]:
    """The asset events of one watcher event: one per watched asset, with Airflow's extra
    ``{"from_trigger": True, "payload": ...}``; a failed one keeps the reason."""
    error = getattr(watched.event, "error", None)
    try:
        payload = serde.encode(watched.event.payload, "a watcher event's payload")
    except Exception as exc:
        payload, error = repr(watched.event.payload)[:2000], str(exc)
    source = f"asset_watcher:trigger {watched.trigger_id}"
    extra = {"from_trigger": True, "payload": payload}
    return [
        NewAssetEvent(uri=uri, extra=extra, external_source=source, error=error)
        for uri in watched.uris
    ]
