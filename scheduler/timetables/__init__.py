"""Schedules: what a DAG author writes (``schedule=``) and the data intervals it produces.

``normalize_schedule`` turns the authored value into the stored form of ``DagSpec.schedule``
(a cron/preset string, a number of seconds, or None). The timetables turn that stored form
into runs; everything here is pure: no I/O, the clock is always passed in.
"""

from scheduler.timetables.intervals import DataInterval, RunInfo, TimeRestriction, Timetable
from scheduler.timetables.kinds import CronTimetable, DeltaTimetable, NullTimetable, OnceTimetable
from scheduler.timetables.planning import (
    manual_run_info,
    timetable_for,
    upcoming_run_info,
)
from scheduler.timetables.schedule import CRON_PRESETS, ONCE, describe, normalize_schedule

__all__ = [
    # what authors write
    "CRON_PRESETS",
    "ONCE",
    "describe",
    "normalize_schedule",
    # intervals and runs
    "DataInterval",
    "RunInfo",
    "TimeRestriction",
    # timetables
    "CronTimetable",
    "DeltaTimetable",
    "NullTimetable",
    "OnceTimetable",
    "Timetable",
    # what the Engine asks
    "manual_run_info",
    "timetable_for",
    "upcoming_run_info",
]
