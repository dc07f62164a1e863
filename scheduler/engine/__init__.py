"""The Engine: the scheduler loop, run creation, planning, dispatch and recovery.

The names below load on first use: the API and the CLI import ``scheduler.engine.wakeup``
on every call, and that must not pay for the scheduler loop, the executors and the runner
(most of a CLI call's start-up otherwise).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scheduler.engine.driver import RunDriver, log_path_for
    from scheduler.engine.scheduling import create_due_runs, trigger_run
    from scheduler.engine.service import SchedulerService
    from scheduler.engine.wakeup import poke_scheduler

#: public name -> the module that defines it
_HOMES = {
    "SchedulerService": "scheduler.engine.service",
    "RunDriver": "scheduler.engine.driver",
    "log_path_for": "scheduler.engine.driver",
    "create_due_runs": "scheduler.engine.scheduling",
    "trigger_run": "scheduler.engine.scheduling",
    "poke_scheduler": "scheduler.engine.wakeup",
}

__all__ = [
    # the daemon
    "SchedulerService",
    # building blocks
    "RunDriver",
    "create_due_runs",
    "log_path_for",
    "poke_scheduler",
    "trigger_run",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'scheduler.engine' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
