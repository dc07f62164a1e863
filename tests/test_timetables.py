"""Schedules → runs: validation, cron and timedelta intervals, DST, catchup, end_date."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from scheduler.errors import InvalidScheduleError
from scheduler.timetables import (
    CronTimetable,
    DataInterval,
    DeltaTimetable,
    NullTimetable,
    OnceTimetable,
    RunInfo,
    describe,
    manual_run_info,
    normalize_schedule,
    timetable_for,
    upcoming_run_info,
)

AMS = "Europe/Amsterdam"
START = datetime(2024, 1, 1, tzinfo=UTC)
FAR_FUTURE = datetime(2100, 1, 1, tzinfo=UTC)


def next_run_info(timetable, *, now, **kwargs):
    """The automated run to create at ``now``, or None if none is due yet."""
    info = upcoming_run_info(timetable, now=now, **kwargs)
    return info if info is not None and info.run_after <= now else None


def next_due_at(timetable, **kwargs):
    """When the next automated run becomes due; None if never."""
    info = upcoming_run_info(timetable, **kwargs)
    return info.run_after if info is not None else None


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def run_all(timetable, *, start, n, now=FAR_FUTURE, end=None, catchup=True):
    """Ask for ``n`` runs the way the engine does: each call after the previous run."""
    runs, last = [], None
    for _ in range(n):
        info = next_run_info(
            timetable, last_interval=last, now=now, start_date=start, end_date=end, catchup=catchup
        )
        if info is None:
            break
        runs.append(info)
        last = info.data_interval
    return runs


# --------------------------------------------------------------------------- normalize


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("@daily", "@daily"),
        ("@once", "@once"),
        ("@yearly", "@yearly"),
        ("0 6 * * *", "0 6 * * *"),
        ("  */15  9-17 * * 1-5 ", "*/15 9-17 * * 1-5"),
        (timedelta(hours=1), 3600.0),
        (timedelta(minutes=1, seconds=30), 90.0),
    ],
)
def test_normalize_accepts(value, expected):
    assert normalize_schedule(value) == expected


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("61 * * * *", ["'61 * * * *'", "minute", "61", "not a valid cron"]),
        ("0 25 * * *", ["hour", "25"]),
        ("0 0 * * 8", ["day of week", "8"]),
        ("0 0 * 13 *", ["month", "13"]),
        ("* * *", ["3 fields", "5"]),
        ("0 0 * * * *", ["6 fields"]),
        ("every day", ["2 fields"]),
        ("0 0 30 2 *", ["never matches"]),
        ("@continuous", ["@continuous", "not supported"]),
        ("@fortnightly", ["@fortnightly", "not a known preset"]),
        (timedelta(0), ["positive"]),
        (timedelta(seconds=-5), ["positive"]),
        (3600, ["timedelta(seconds=3600)"]),
        (True, ["bool"]),
        (["@daily"], ["list"]),
    ],
)
def test_normalize_rejects_with_a_message_that_helps(value, words):
    with pytest.raises(InvalidScheduleError) as excinfo:
        normalize_schedule(value)
    message = str(excinfo.value)
    for word in [*words, "'0 6 * * *'", "@hourly", "timedelta", "None"]:
        assert word in message


def test_describe():
    assert describe(None) == "manual"
    assert describe("@daily") == "@daily"
    assert describe("0 6 * * *") == "0 6 * * *"
    assert describe(3600.0) == "every 1:00:00"
    assert describe(90.0) == "every 0:01:30"


# --------------------------------------------------------------------------- timetable_for


def test_timetable_for_picks_the_implementation():
    assert isinstance(timetable_for(None), NullTimetable)
    assert isinstance(timetable_for("@once"), OnceTimetable)
    assert timetable_for("@daily", AMS) == CronTimetable("0 0 * * *", AMS)
    assert timetable_for(60.0) == DeltaTimetable(60.0)
    assert timetable_for("@daily").summary == "@daily"


def test_timetable_for_rejects_bad_values():
    with pytest.raises(InvalidScheduleError, match="minute"):
        timetable_for("61 * * * *")
    with pytest.raises(InvalidScheduleError, match="Mars/Olympus"):
        timetable_for("@daily", "Mars/Olympus")
    with pytest.raises(InvalidScheduleError, match="positive"):
        timetable_for(-1.0)


# --------------------------------------------------------------------------- cron intervals


def test_cron_catchup_yields_consecutive_intervals_from_start_date():
    runs = run_all(timetable_for("@daily"), start=START, n=5)
    starts = [utc(2024, 1, d) for d in range(1, 6)]
    assert [r.logical_date for r in runs] == starts
    for run, start in zip(runs, starts, strict=True):
        assert run.data_interval == DataInterval(start, start + timedelta(days=1))
        assert run.run_after == run.data_interval.end


def test_cron_first_interval_is_the_first_tick_at_or_after_start_date():
    runs = run_all(timetable_for("0 6 * * *"), start=utc(2024, 1, 1, 7, 30), n=1)
    assert runs[0].data_interval == DataInterval(utc(2024, 1, 2, 6), utc(2024, 1, 3, 6))


def test_cron_run_is_due_only_once_its_interval_has_ended():
    tt = timetable_for("@hourly")
    kwargs = {"last_interval": None, "start_date": START, "end_date": None, "catchup": True}
    assert next_run_info(tt, now=utc(2024, 1, 1, 0, 59), **kwargs) is None
    assert next_due_at(tt, now=utc(2024, 1, 1, 0, 59), **kwargs) == utc(2024, 1, 1, 1)
    info = next_run_info(tt, now=utc(2024, 1, 1, 1), **kwargs)
    assert info == RunInfo.interval(START, utc(2024, 1, 1, 1))


def test_cron_intervals_are_evaluated_in_the_dag_timezone():
    runs = run_all(timetable_for("0 6 * * *", "America/New_York"), start=START, n=2)
    # 06:00 in New York in January is 11:00 UTC.
    assert runs[0].data_interval == DataInterval(utc(2024, 1, 1, 11), utc(2024, 1, 2, 11))


def test_daily_interval_is_23_hours_on_spring_forward_and_25_on_fall_back():
    spring = run_all(timetable_for("@daily", AMS), start=utc(2024, 3, 30), n=3)
    assert [r.data_interval.end - r.data_interval.start for r in spring] == [
        timedelta(hours=23),
        timedelta(hours=24),
        timedelta(hours=24),
    ]
    assert spring[0].logical_date == utc(2024, 3, 30, 23)  # midnight (CET) starting 31 March
    fall = run_all(timetable_for("@daily", AMS), start=utc(2024, 10, 26), n=2)
    assert fall[0].data_interval.end - fall[0].data_interval.start == timedelta(hours=25)


def test_hourly_schedule_neither_skips_nor_doubles_through_dst_changes():
    for start in (utc(2024, 3, 30, 20), utc(2024, 10, 26, 20)):
        runs = run_all(timetable_for("@hourly", AMS), start=start, n=10)
        assert [r.logical_date for r in runs] == [start + timedelta(hours=h) for h in range(10)]


def test_fixed_time_schedule_fires_once_on_the_repeated_hour_and_late_in_the_gap():
    fall = run_all(timetable_for("30 2 * * *", AMS), start=utc(2024, 10, 26, 12), n=2)
    # 02:30 CEST on 27 October (the first 02:30), then 02:30 CET on 28 October.
    assert [r.logical_date for r in fall] == [utc(2024, 10, 27, 0, 30), utc(2024, 10, 28, 1, 30)]
    spring = run_all(timetable_for("30 2 * * *", AMS), start=utc(2024, 3, 30, 12), n=2)
    # 02:30 does not exist on 31 March: it fires at 03:30 CEST (01:30 UTC).
    assert [r.logical_date for r in spring] == [utc(2024, 3, 31, 1, 30), utc(2024, 4, 1, 0, 30)]


def test_several_times_a_day_schedule_keeps_its_wall_clock_after_dst():
    runs = run_all(timetable_for("0 9-17 * * *", AMS), start=utc(2024, 3, 30, 15), n=3)
    # 16:00 UTC = 17:00 CET on Saturday, then 09:00 CEST = 07:00 UTC on Sunday.
    assert [r.logical_date for r in runs] == [
        utc(2024, 3, 30, 15),
        utc(2024, 3, 30, 16),
        utc(2024, 3, 31, 7),
    ]


# --------------------------------------------------------------------------- catchup and bounds


def test_catchup_false_creates_only_the_latest_complete_interval():
    now = utc(2024, 5, 10, 13, 30)
    runs = run_all(timetable_for("@daily"), start=START, n=5, now=now, catchup=False)
    assert [r.data_interval for r in runs] == [DataInterval(utc(2024, 5, 9), utc(2024, 5, 10))]


def test_catchup_false_skips_missed_intervals_after_the_last_run():
    tt = timetable_for("@hourly")
    last = DataInterval(utc(2024, 1, 1, 0), utc(2024, 1, 1, 1))
    info = next_run_info(
        tt,
        last_interval=last,
        now=utc(2024, 1, 3, 5, 20),
        start_date=START,
        end_date=None,
        catchup=False,
    )
    assert info.data_interval == DataInterval(utc(2024, 1, 3, 4), utc(2024, 1, 3, 5))


def test_catchup_false_never_goes_back_before_the_interval_after_the_last_run():
    tt = timetable_for("@hourly")
    last = DataInterval(utc(2024, 1, 3, 4), utc(2024, 1, 3, 5))
    kwargs = {"start_date": START, "end_date": None, "catchup": False}
    now = utc(2024, 1, 3, 5, 20)
    assert next_run_info(tt, last_interval=last, now=now, **kwargs) is None
    upcoming = upcoming_run_info(tt, last_interval=last, now=now, **kwargs)
    assert upcoming.data_interval == DataInterval(utc(2024, 1, 3, 5), utc(2024, 1, 3, 6))
    assert next_due_at(tt, last_interval=last, now=now, **kwargs) == utc(2024, 1, 3, 6)


def test_catchup_false_with_start_date_in_the_future_waits_for_the_first_interval():
    start = utc(2024, 6, 1)
    kwargs = {"last_interval": None, "start_date": start, "end_date": None, "catchup": False}
    assert next_run_info(timetable_for("@daily"), now=utc(2024, 5, 1), **kwargs) is None
    assert next_due_at(timetable_for("@daily"), now=utc(2024, 5, 1), **kwargs) == utc(2024, 6, 2)


def test_no_run_has_a_logical_date_after_end_date():
    runs = run_all(timetable_for("@daily"), start=START, n=10, end=utc(2024, 1, 3))
    assert [r.logical_date for r in runs] == [utc(2024, 1, d) for d in (1, 2, 3)]
    last = runs[-1].data_interval
    kwargs = {"start_date": START, "end_date": utc(2024, 1, 3), "catchup": True}
    assert (
        next_due_at(timetable_for("@daily"), last_interval=last, now=FAR_FUTURE, **kwargs) is None
    )


def test_nothing_is_scheduled_without_start_date_or_schedule():
    kwargs = {"last_interval": None, "now": FAR_FUTURE, "end_date": None, "catchup": True}
    assert next_run_info(timetable_for("@daily"), start_date=None, **kwargs) is None
    assert next_run_info(timetable_for(None), start_date=START, **kwargs) is None
    assert next_due_at(timetable_for(None), start_date=START, **kwargs) is None


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="no time zone"):
        next_run_info(
            timetable_for("@daily"),
            last_interval=None,
            now=datetime(2024, 1, 2),
            start_date=START,
            end_date=None,
            catchup=True,
        )


# ------------------------------------------------------------------ @once, timedelta, manual


def test_once_runs_once_at_start_date():
    tt = timetable_for("@once")
    kwargs = {"start_date": utc(2024, 2, 1), "end_date": None, "catchup": False}
    assert next_run_info(tt, last_interval=None, now=utc(2024, 1, 31), **kwargs) is None
    info = next_run_info(tt, last_interval=None, now=utc(2024, 2, 1), **kwargs)
    assert info == RunInfo.exact(utc(2024, 2, 1))
    assert info.data_interval == DataInterval(utc(2024, 2, 1), utc(2024, 2, 1))
    after = upcoming_run_info(tt, last_interval=info.data_interval, now=FAR_FUTURE, **kwargs)
    assert after is None


def test_once_respects_end_date():
    tt = timetable_for("@once")
    runs = run_all(tt, start=utc(2024, 2, 1), n=3, end=utc(2024, 1, 1))
    assert runs == []


def test_timedelta_intervals_follow_each_other_from_start_date():
    start = utc(2024, 1, 1, 0, 10)
    runs = run_all(timetable_for(timedelta(minutes=30).total_seconds()), start=start, n=3)
    assert [r.data_interval for r in runs] == [
        DataInterval(start, start + timedelta(minutes=30)),
        DataInterval(start + timedelta(minutes=30), start + timedelta(minutes=60)),
        DataInterval(start + timedelta(minutes=60), start + timedelta(minutes=90)),
    ]


def test_timedelta_without_catchup_stays_on_the_start_date_grid():
    start = utc(2024, 1, 1, 0, 10)
    now = utc(2024, 5, 10, 13, 30)
    runs = run_all(timetable_for(3600.0), start=start, n=3, now=now, catchup=False)
    assert [r.data_interval for r in runs] == [
        DataInterval(utc(2024, 5, 10, 12, 10), utc(2024, 5, 10, 13, 10))
    ]


def test_manual_run_covers_the_instant_it_was_triggered_for():
    when = utc(2024, 4, 2, 8, 15)
    for schedule in (None, "@once", "@daily", 60.0):
        info = manual_run_info(timetable_for(schedule), when)
        assert info == RunInfo(when, DataInterval(when, when), when)


def test_data_interval_refuses_an_end_before_its_start():
    with pytest.raises(ValueError, match="before it starts"):
        DataInterval(utc(2024, 1, 2), utc(2024, 1, 1))
