"""The scheduler's helper threads, started once at start-up, each with its own database
connection and never inside the loop's transaction: the daily retention pass
(``BATON_RETENTION_DAYS``, engine/retention.py), the DAG callback runner
(engine/dag_callbacks.py), the deadline watch (engine/deadlines.py) and the watch for
tries running longer than usual (engine/long_tries.py)."""

from __future__ import annotations

from scheduler.engine.dag_callbacks import start_dag_callbacks
from scheduler.engine.deadlines import DeadlineWatch
from scheduler.engine.long_tries import LongTryWatch
from scheduler.engine.retention import start_daily_retention
from scheduler.settings import Settings


def start_side_threads(settings: Settings, source: str) -> None:
    start_daily_retention(settings, source)
    start_dag_callbacks(settings, source)
    DeadlineWatch.start(settings, source)
    LongTryWatch.start(settings, source)
