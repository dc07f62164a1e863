"""The asyncio side of the triggerer: one task per trigger, events into a queue.

``TriggerLoop.sync(wanted)`` starts the triggers this triggerer now owns and cancels those it
no longer does; each trigger's ``run()`` is consumed until its first event, which goes into
``events`` as ``(trigger_id, payload, None)``; a trigger that raises (or ends without an
event) goes in as ``(trigger_id, None, reason)``. Nothing here touches the database.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import Iterable
from typing import Any

from scheduler.masking import redact
from scheduler.store.triggers import StoredTrigger
from scheduler.triggers import serde
from scheduler.triggers.base import BaseTrigger

log = logging.getLogger("baton.triggerer")

Fired = tuple[int, Any, str | None]  # trigger id, payload, error


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
        self.running: dict[int, asyncio.Task[None]] = {}

    def sync(self, wanted: Iterable[StoredTrigger]) -> None:
        """Run exactly ``wanted``: start the new ones, cancel the ones gone."""
        wanted = {t.id: t for t in wanted}
        for trigger_id in [t for t in self.running if t not in wanted]:
            self.running.pop(trigger_id).cancel()  # cleared, timed out or re-claimed
        for trigger_id, stored in wanted.items():
            if trigger_id not in self.running:
                self.running[trigger_id] = asyncio.create_task(
                    self._run(stored), name=f"trigger-{trigger_id}"
                )

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

    async def stop(self) -> None:
        tasks = list(self.running.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self.running.clear()
