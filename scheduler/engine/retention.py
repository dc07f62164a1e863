"""``BATON_RETENTION_DAYS``: the scheduler cleans history older than that, once a day.

It runs in a thread of its own with its own engine, never inside the loop's transaction:
the clean is the same batched one as ``baton db clean`` (``store/retention.py``), so the
loop waits at most one short batch for the write lock. The thread mostly sleeps; a pass
that fails is logged and tried again an hour later. No archive tables are made: a daily
pass that archived would move the history instead of shrinking the database (archive by
hand with ``baton db clean`` when you want a copy). Each pass records a ``retention`` event,
which is also how a restarted scheduler, or a second one, knows a pass ran today.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta

from sqlalchemy import Engine

from scheduler.clock import utcnow
from scheduler.settings import Settings
from scheduler.store import retention
from scheduler.store.db import make_engine, transaction

log = logging.getLogger(__name__)

RETENTION_EVENT = "retention"
PERIOD = timedelta(days=1)
FIRST_PASS_DELAY = 5.0  # seconds after start: recovery and the first parse come first
RETRY_AFTER = 3600.0


def start_daily_retention(settings: Settings, source: str) -> threading.Thread | None:
    """Start the daily clean if ``BATON_RETENTION_DAYS`` is set (> 0)."""
    if settings.retention_days <= 0:
        return None
    thread = threading.Thread(
        target=_run_forever, args=(settings, source), name="baton-retention", daemon=True
    )
    thread.start()
    return thread


def _run_forever(settings: Settings, source: str) -> None:
    engine = make_engine(settings.database_url)
    delay = FIRST_PASS_DELAY
    while True:
        time.sleep(delay)
        try:
            delay = _seconds_until_due(engine, utcnow())
            if delay <= 0:
                run_pass(engine, settings, source, utcnow())
                delay = PERIOD.total_seconds()
        except Exception as exc:  # the loop must never die of it; the next pass retries
            log.error("retention pass failed (%s); trying again in an hour", exc)
            delay = RETRY_AFTER


def _seconds_until_due(engine: Engine, now: datetime) -> float:
    with transaction(engine) as session:
        last = retention.last_event_time(session, RETENTION_EVENT)
    return 0.0 if last is None else (last + PERIOD - now).total_seconds()


def run_pass(engine: Engine, settings: Settings, source: str, now: datetime) -> None:
    """One daily clean: every table, before now - BATON_RETENTION_DAYS, without archive."""
    policy = retention.CleanPolicy(
        before=now - timedelta(days=settings.retention_days),
        tables=retention.parse_tables(None),
        archive=False,
    )
    report = retention.clean(engine, policy, logs_folder=settings.logs_folder)
    with transaction(engine) as session:
        retention.record(session, report, RETENTION_EVENT, source, utcnow())
    log.info(
        "retention: removed %s and %d log files older than %s in %d batches (longest %.0f ms)",
        report.rows,
        report.log_files,
        policy.before.isoformat(),
        report.batches,
        report.longest_transaction * 1000,
    )
