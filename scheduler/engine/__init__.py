"""The Engine: the scheduler loop, run creation, planning, dispatch and recovery."""

from scheduler.engine.driver import RunDriver, log_path_for
from scheduler.engine.scheduling import create_due_runs, trigger_run
from scheduler.engine.service import SchedulerService
from scheduler.engine.wakeup import poke_scheduler

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
