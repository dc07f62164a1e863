"""``BaseTrigger``, ``TriggerEvent`` and ``TaskDeferred``: Airflow 3's deferral contract.

A trigger is a small async waiter that runs in the triggerer (``baton triggerer``), not in a
worker. Its ``run()`` is an async generator that yields a ``TriggerEvent`` when what it
waits for happened; the triggerer takes the first event, resumes the deferred task with it
and stops the trigger. ``serialize()`` returns ``(classpath, kwargs)``: the triggerer
rebuilds the trigger as ``Class(**kwargs)``, in another process and maybe after a restart,
so kwargs must be all it needs (JSON values, datetimes, timedeltas).

    class WaitForFlag(BaseTrigger):
        def __init__(self, path: str):
            super().__init__()
            self.path = path

        def serialize(self):
            return ("my_triggers.WaitForFlag", {"path": self.path})

        async def run(self):
            while not os.path.exists(self.path):
                await asyncio.sleep(1)
            yield TriggerEvent({"path": self.path})

``run()`` must not block the loop (use ``await``, ``asyncio.to_thread`` for blocking
calls): every trigger of the triggerer shares it.
"""

from __future__ import annotations

import abc
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

from scheduler.errors import BatonError


class TriggerEvent:
    """What a trigger yields when it fires; ``payload`` reaches the task as ``event``."""

    def __init__(self, payload: Any) -> None:
        self.payload = payload

    def __repr__(self) -> str:
        return f"TriggerEvent<{self.payload!r}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TriggerEvent) and other.payload == self.payload


class BaseTrigger(abc.ABC):
    """Subclass with ``serialize()`` and an async-generator ``run()``; see the module."""

    def __init__(self, **kwargs: Any) -> None:
        # Airflow's BaseTrigger accepts (and ignores) kwargs; its task_instance is set by
        # the triggerer. Baton sets ``trigger_id`` for logs.
        self.trigger_id: int | None = None

    @abc.abstractmethod
    def serialize(self) -> tuple[str, dict[str, Any]]:
        """``(classpath, kwargs)`` from which the triggerer rebuilds this trigger."""

    @abc.abstractmethod
    def run(self) -> AsyncIterator[TriggerEvent]:
        """Wait, then ``yield TriggerEvent(payload)``; an ``async def`` with ``yield``."""

    async def cleanup(self) -> None:  # noqa: B027 - optional, like Airflow's
        """Called when the trigger stops (fired, timed out, or its task went away)."""

    def __repr__(self) -> str:
        classpath, kwargs = self.serialize()
        return f"<{classpath} {kwargs}>"


class TaskDeferred(BaseException):
    """Raised by ``BaseOperator.defer``: the try ends ``deferred`` and its slot is freed.

    A BaseException, as Airflow's, so a task's ``except Exception`` does not swallow it.
    """

    def __init__(
        self,
        *,
        trigger: BaseTrigger,
        method_name: str,
        kwargs: dict[str, Any] | None = None,
        timeout: timedelta | float | None = None,
    ) -> None:
        super().__init__(f"deferred to {trigger!r}, resuming in {method_name}()")
        if not isinstance(trigger, BaseTrigger):
            raise BatonError(
                f"defer(trigger=...) needs a BaseTrigger instance, not {type(trigger).__name__}"
            )
        if not isinstance(method_name, str) or not method_name:
            raise BatonError("defer(method_name=...) must name a method of the operator")
        if isinstance(timeout, int | float):
            timeout = timedelta(seconds=timeout)
        self.trigger = trigger
        self.method_name = method_name
        self.kwargs = dict(kwargs or {})
        self.timeout: timedelta | None = timeout


def classpath_of(cls: type) -> str:
    """``module.Class`` of ``cls``: what ``serialize()`` usually returns first."""
    return f"{cls.__module__}.{cls.__qualname__}"
