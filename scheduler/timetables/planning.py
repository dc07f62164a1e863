"""What the Engine asks: which timetable a stored schedule has, and which run is next."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache

from scheduler.timetables.intervals import DataInterval, RunInfo, TimeRestriction, Timetable
from scheduler.timetables.kinds import CronTimetable, DeltaTimetable, NullTimetable, OnceTimetable
from scheduler.timetables.schedule import ONCE, normalize_schedule


@lru_cache(maxsize=1024)
def timetable_for(schedule: str | float | None, timezone: str = "UTC") -> Timetable:
    """The timetable of a stored (normalised) schedule; cached, timetables are immutable."""
    if schedule is None:
        return NullTimetable()
    if isinstance(schedule, str):
        schedule = normalize_schedule(schedule)
        if schedule == ONCE:
            return OnceTimetable()
        return CronTimetable(str(schedule), timezone)
    if isinstance(schedule, int | float) and not isinstance(schedule, bool):
        return DeltaTimetable(schedule)
    normalize_schedule(schedule)  # raises InvalidScheduleError with the full explanation
    raise AssertionError("unreachable")


def upcoming_run_info(
    timetable: Timetable,
    *,
    last_interval: DataInterval | None,
    now: datetime,
    start_date: datetime | None,
    end_date: datetime | None,
    catchup: bool,
) -> RunInfo | None:
    """The next automated run, due or not: None when there will never be one.

    The engine should call this once after creating a run and keep ``run_after`` (Airflow's
    ``next_dagrun_create_after``) as its timer: "is a run due" is then a comparison, and
    croniter runs again only when the timer fires.

    - catchup=True: the first interval at/after start_date, then the one right after
      ``last_interval``, one per call, in order;
    - catchup=False: the latest interval complete at ``now`` (missed ones are skipped), but
      never one before the interval following ``last_interval``;
    - no run whose logical date is after end_date; none at all without a start_date.
    """
    if start_date is None:
        return None
    restriction = TimeRestriction(_utc(start_date), end_date and _utc(end_date), catchup)
    return timetable.next_dagrun_info(
        last_automated_data_interval=last_interval, restriction=restriction, now=_utc(now)
    )


def manual_run_info(timetable: Timetable, logical_date: datetime) -> RunInfo:
    """A run triggered by hand for ``logical_date`` (the trigger time unless the user gave
    one): due at once, covering ``[logical_date, logical_date]`` as in Airflow 3."""
    when = _utc(logical_date)
    return RunInfo(when, timetable.infer_manual_data_interval(run_after=when), when)


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            f"datetime {value.isoformat()} has no time zone; pass an aware datetime "
            "(e.g. datetime.now(UTC))"
        )
    return value.astimezone(UTC)
