"""The Engine: the scheduler loop, run creation, planning, dispatch and recovery.

The names below load on first use: the API and the CLI import ``scheduler.engine.wakeup``
on every call, and that must not pay for the scheduler loop, the executors and the runner
(most of a CLI call's start-up otherwise).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scheduler.lazy_exports import lazy_exports

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


__getattr__, __dir__ = lazy_exports(globals(), _HOMES)
