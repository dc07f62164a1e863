"""``baton db clean``: the history older than a timestamp, deleted (and archived) in batches."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from scheduler.api.databases import database
from scheduler.api.inputs import parse_timestamp
from scheduler.clock import utcnow
from scheduler.errors import BatonError
from scheduler.settings import Settings, zone_named
from scheduler.store import retention
from scheduler.store.db import transaction
from scheduler.store.events import process_source
from scheduler.store.retention import CleanPolicy, CleanReport

CLEAN_EVENT = "db_clean"


def parse_clean_timestamp(settings: Settings, text: str) -> datetime:
    """``--clean-before-timestamp``: ISO 8601; a naive value is in BATON_DEFAULT_TIMEZONE
    (as Airflow reads it in its default time zone)."""
    zone = zone_named(settings.default_timezone)
    return parse_timestamp(text, zone, "--clean-before-timestamp")


def clean_policy(
    before: datetime,
    tables: Sequence[str] | None = None,
    *,
    archive: bool = True,
    batch_size: int = retention.DEFAULT_BATCH_SIZE,
) -> CleanPolicy:
    if batch_size < 1:
        raise BatonError(f"--batch-size must be at least 1, got {batch_size}")
    stamp = utcnow().strftime("%Y%m%d%H%M%S")
    chosen = retention.parse_tables(tables)
    return CleanPolicy(before, chosen, archive=archive, batch_size=batch_size, stamp=stamp)


def clean_database(
    settings: Settings, policy: CleanPolicy, *, dry_run: bool = False, source: str | None = None
) -> CleanReport:
    """Count (``dry_run``) or delete what ``policy`` names; a real clean is recorded in the
    event log (``db_clean``) with what it removed."""
    engine = database(settings)
    if dry_run:
        return retention.count_old(engine, policy)
    report = retention.clean(engine, policy, logs_folder=settings.logs_folder)
    record_clean(settings, report, source or process_source("cli"))
    return report


def record_clean(settings: Settings, report: CleanReport, source: str) -> None:
    with transaction(database(settings)) as session:
        retention.record(session, report, CLEAN_EVENT, source, utcnow())


def archived_tables(settings: Settings) -> list[str]:
    return retention.list_archives(database(settings))


def drop_archived(settings: Settings, tables: Sequence[str] | None = None) -> list[str]:
    """Drop the archive tables ``db clean`` made (of ``tables`` only, if given)."""
    chosen = retention.parse_tables(tables) if tables else None
    return retention.drop_archives(database(settings), chosen)
