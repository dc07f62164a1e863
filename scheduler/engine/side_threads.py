"""The scheduler's helper threads, started once at start-up, each with its own database
connection and never inside the loop's transaction: the daily retention pass
(``BATON_RETENTION_DAYS``, engine/retention.py) and the DAG callback runner
(engine/dag_callbacks.py)."""

from __future__ import annotations

from scheduler.engine.dag_callbacks import start_dag_callbacks
from scheduler.engine.retention import start_daily_retention
from scheduler.settings import Settings


def start_side_threads(settings: Settings, source: str) -> None:
    start_daily_retention(settings, source)
    start_dag_callbacks(settings, source)
