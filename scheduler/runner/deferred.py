"""The worker's side of deferral: a ``TaskDeferred`` into a ``Deferral``, and a resume.

Resuming calls the task's ``resume_execution(next_method, next_kwargs, context)`` on a fresh
operator (the DAG file's, rendered again), as Airflow does: ``method_name(context,
event=payload, **kwargs)``, or TaskDeferralTimeout for ``__fail__``.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from scheduler.deferral import Deferral, Resume
from scheduler.triggers import serde
from scheduler.triggers.base import TaskDeferred


def deferral_of(exc: TaskDeferred, now: datetime) -> Deferral:
    """What the Engine stores for ``exc``: the trigger serialized, the resume method."""
    classpath, kwargs = exc.trigger.serialize()
    where = f"the kwargs of trigger {classpath}"
    return Deferral(
        classpath=classpath,
        trigger_kwargs=serde.encode(dict(kwargs), where),
        method_name=exc.method_name,
        method_kwargs=serde.encode(exc.kwargs, f"defer(kwargs=...) to {exc.method_name}"),
        timeout_at=now + exc.timeout if exc.timeout is not None else None,
    )


def resume_deferred(task: Any, context: dict[str, Any], resume: Resume, log: logging.Logger) -> Any:
    """Run the method a deferred task asked to resume in, with the trigger's event."""
    kwargs = serde.decode(resume.next_kwargs or {})
    log.info("Resuming after deferral in %s(), event %r", resume.next_method, kwargs.get("event"))
    return task.resume_execution(resume.next_method, kwargs, context)
