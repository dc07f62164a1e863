"""The asyncio side of the triggerer: one task per trigger, events into a queue.

``TriggerLoop.sync(wanted)`` starts the triggers this triggerer now owns and cancels those it
no longer does; each trigger's ``run()`` is consumed until its first event, which goes into
``events`` as ``(trigger_id, payload, None)``; a trigger that raises (or ends without an
event) goes in as ``(trigger_id, None, reason)``. An asset watcher's trigger (one whose
row ``watches`` assets) is consumed for as long as it is owned instead: every event goes
into ``asset_events`` (bounded, so a fast broker waits for the stores), and a trigger that
fails is restarted after a backoff (a broker that went away). Nothing here touches the
database.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
from collections.abc import AsyncGenerator, Iterable
from dataclasses import dataclass
from typing import Any, cast

from scheduler.masking import redact
from scheduler.store.triggers import StoredTrigger
from scheduler.triggers import serde
from scheduler.triggers.base import BaseTrigger, TriggerEvent

log = logging.getLogger("baton.triggerer")

Fired = tuple[int, Any, str | None]  # trigger id, payload, error
ASSET_QUEUE_SIZE = 5000  # events received and not yet stored, at most
_RESTART_BACKOFF = (1.0, 30.0)  # a failing watcher trigger waits 1 s, doubling to 30 s


@dataclass(frozen=True)
class Watched:
    """One event of an asset watcher's trigger, waiting to be stored (then acknowledged)."""

    trigger_id: int
    uris: tuple[str, ...]
    event: TriggerEvent


def build_trigger(stored: StoredTrigger) -> BaseTrigger:
    """``Class(**kwargs)`` from a trigger row; an error names the classpath and the fix."""
    module_name, _, class_name = stored.classpath.rpartition(".")
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as exc:
        raise ImportError(
            f"trigger {stored.id}: cannot import {stored.classpath} ({exc}); the triggerer "
            "imports triggers by the classpath their serialize() returns: put the module on "
            "the triggerer's path (the plugins folder, an installed package)"
        ) from exc
    trigger = cls(**serde.decode(stored.kwargs))
    trigger.trigger_id = stored.id
    return trigger


class TriggerLoop:
    def __init__(self) -> None:
        self.events: asyncio.Queue[Fired] = asyncio.Queue()
        self.asset_events: asyncio.Queue[Watched] = asyncio.Queue(maxsize=ASSET_QUEUE_SIZE)
        self.running: dict[int, asyncio.Task[None]] = {}

    def sync(self, wanted: Iterable[StoredTrigger]) -> None:
        """Run exactly ``wanted``: start the new ones, cancel the ones gone."""
        by_id = {t.id: t for t in wanted}
        for trigger_id in [t for t in self.running if t not in by_id]:
            self.running.pop(trigger_id).cancel()  # cleared, timed out or re-claimed
        for trigger_id, stored in by_id.items():
            if trigger_id not in self.running:
                run = self._watch(stored) if stored.watches else self._run(stored)
                self.running[trigger_id] = asyncio.create_task(run, name=f"trigger-{trigger_id}")

    def forget(self, trigger_id: int) -> None:
        """The trigger's event is stored: it is over."""
        self.running.pop(trigger_id, None)

    async def _run(self, stored: StoredTrigger) -> None:
        trigger: BaseTrigger | None = None
        try:
            trigger = build_trigger(stored)
            async for event in trigger.run():
                await self.events.put((stored.id, event.payload, None))
                return  # the first event resumes the task (Airflow's)
            await self.events.put((stored.id, None, "the trigger ended without an event"))
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a trigger's bug fails its task, never the loop
            reason = redact(f"{type(exc).__name__}: {exc}")
            log.warning("trigger %s (%s) failed: %s", stored.id, stored.classpath, reason)
            await self.events.put((stored.id, None, reason))
        finally:
            if trigger is not None:
                try:
                    await trigger.cleanup()
                except Exception:
                    log.exception("cleanup of trigger %s failed", stored.id)

    async def _watch(self, stored: StoredTrigger) -> None:
        """Run an asset watcher's trigger until cancelled, restarting it when it fails."""
        delay = _RESTART_BACKOFF[0]
        while True:
            trigger: BaseTrigger | None = None
            try:
                trigger = build_trigger(stored)
                log.info("watching %s with trigger %s", ", ".join(stored.watches), stored.id)
                run = cast(AsyncGenerator[TriggerEvent, None], trigger.run())  # the contract
                async with contextlib.aclosing(run) as events:
                    async for event in events:
                        await self.asset_events.put(Watched(stored.id, stored.watches, event))
                        delay = _RESTART_BACKOFF[0]
                log.warning("watcher trigger %s ended; it starts again", stored.id)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a broker away, a bad connection: retried, logged
                reason = redact(f"{type(exc).__name__}: {exc}")
                log.warning(
                    "watcher trigger %s failed (%s); again in %.0f s", stored.id, reason, delay
                )
            finally:
                if trigger is not None:
                    try:
                        await trigger.cleanup()
                    except Exception:
                        log.exception("cleanup of trigger %s failed", stored.id)
            await asyncio.sleep(delay)
            delay = min(delay * 2, _RESTART_BACKOFF[1])

    async def stop(self) -> None:
        tasks = list(self.running.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self.running.clear()
