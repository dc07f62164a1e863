"""``HITLTrigger``: wait in the triggerer for a person's answer to a HITL task (Airflow 3.1's).

It polls the task instance's ``hitl_detail`` row every ``poke_interval`` seconds; an answer
given through the REST API, the web UI or the CLI usually fires it sooner, as the answer's
transaction resumes the task itself (``scheduler/store/hitl.py``), so the poll only catches
an answer given before the task had deferred. Past ``timeout_datetime`` the question's
``defaults`` become the answer (recorded as given by nobody); without defaults the event is
an error and the task fails with ``HITLTimeoutError``, as in Airflow.

The database is the triggerer's own (``BATON_DATABASE_URL``): the trigger was claimed there.
A trigger that reads the Store lives above it, here in ``scheduler.api`` (the triggerer
imports triggers by classpath, so any layer can hold one).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

from scheduler.api.hitl import HitlKey, read_answer, take_defaults
from scheduler.settings import Settings
from scheduler.triggers.base import BaseTrigger, TriggerEvent

TIMEOUT_ERROR = "The timeout has passed, and the response has not yet been received."


class HITLTrigger(BaseTrigger):
    """Airflow's ``HITLTrigger``; Baton names the task instance by its key, not a ti_id."""

    def __init__(
        self,
        *,
        dag_id: str,
        run_id: str,
        task_id: str,
        map_index: int = -1,
        options: list[str],
        params: dict[str, Any] | None = None,
        defaults: list[str] | None = None,
        multiple: bool = False,
        timeout_datetime: datetime | None = None,
        poke_interval: float = 5.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.dag_id, self.run_id, self.task_id, self.map_index = dag_id, run_id, task_id, map_index
        self.options = list(options)
        self.params = dict(params or {})
        self.defaults = list(defaults) if defaults is not None else None
        self.multiple = bool(multiple)
        self.timeout_datetime = timeout_datetime
        self.poke_interval = float(poke_interval)

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            "scheduler.api.hitl_trigger.HITLTrigger",
            {
                "dag_id": self.dag_id,
                "run_id": self.run_id,
                "task_id": self.task_id,
                "map_index": self.map_index,
                "options": self.options,
                "params": self.params,
                "defaults": self.defaults,
                "multiple": self.multiple,
                "timeout_datetime": self.timeout_datetime,
                "poke_interval": self.poke_interval,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        while True:
            now = datetime.now(UTC)
            if self.timeout_datetime is not None and self.timeout_datetime <= now:
                if self.defaults is None:
                    yield TriggerEvent({"error": TIMEOUT_ERROR, "error_type": "timeout"})
                    return
                yield TriggerEvent(await asyncio.to_thread(self._call, take_defaults))
                return
            answer = await asyncio.to_thread(self._call, read_answer)
            if answer is not None:
                yield TriggerEvent(answer)
                return
            wait = self.poke_interval
            if self.timeout_datetime is not None:
                wait = min(wait, max(0.0, (self.timeout_datetime - now).total_seconds()))
            await asyncio.sleep(wait)

    def _call(self, backend: Callable[[Settings, HitlKey], Any]) -> Any:
        key = HitlKey(self.dag_id, self.run_id, self.task_id, self.map_index)
        return backend(Settings.from_env(), key)
