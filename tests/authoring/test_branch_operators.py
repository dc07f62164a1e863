"""LatestOnlyOperator, BranchDateTimeOperator and BranchDayOfWeekOperator decisions.

Expected values follow Airflow 3's standard provider (latest_only.py, datetime.py,
weekday.py).
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from scheduler import (
    DAG,
    BranchDateTimeOperator,
    BranchDayOfWeekOperator,
    EmptyOperator,
    LatestOnlyOperator,
    WeekDay,
)
from scheduler.authoring.operators.datetime_branch import in_window
from scheduler.authoring.operators.latest_only import latest_window
from scheduler.errors import DagDefinitionError
from scheduler.timetables import DataInterval

DAY = timedelta(days=1)
MIDNIGHT = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def interval(start: datetime, length: timedelta = DAY) -> DataInterval:
    return DataInterval(start, start + length)


# -- LatestOnlyOperator -------------------------------------------------------------------


def test_the_window_runs_from_the_interval_start_to_the_end_of_the_next_one():
    start = datetime(2026, 3, 1, tzinfo=UTC)
    assert latest_window("@daily", "UTC", interval(start)) == (start, start + 2 * DAY)
    assert latest_window(3600.0, "UTC", interval(start, timedelta(hours=1))) == (
        start,
        start + timedelta(hours=2),
    )


@pytest.mark.parametrize("schedule", ["@once", None])
def test_a_schedule_without_a_next_interval_has_no_window(schedule):
    start = datetime(2026, 3, 1, tzinfo=UTC)
    assert latest_window(schedule, "UTC", DataInterval(start, start)) is None


def latest_only(schedule="@daily"):
    with DAG("latest", schedule=schedule, start_date=datetime(2026, 1, 1, tzinfo=UTC)):
        latest = LatestOnlyOperator(task_id="latest")
        latest >> [EmptyOperator(task_id="notify"), EmptyOperator(task_id="report")]
    return latest


def context_for(run_type: str, start: datetime, end: datetime) -> dict:
    run = SimpleNamespace(run_type=run_type, data_interval_start=start, data_interval_end=end)
    return {"dag_run": run}


def test_the_latest_scheduled_run_follows_every_downstream_task():
    # The run of yesterday's interval, created at midnight: now is inside its window.
    choice = latest_only().choose_branch(context_for("scheduled", MIDNIGHT - DAY, MIDNIGHT))
    assert choice == ["notify", "report"]


def test_an_older_scheduled_run_follows_nothing():
    older = context_for("scheduled", MIDNIGHT - 3 * DAY, MIDNIGHT - 2 * DAY)
    assert latest_only().choose_branch(older) == []


@pytest.mark.parametrize("run_type", ["manual", "test"])
def test_a_manual_run_is_never_skipped_even_for_an_old_interval(run_type):
    old = context_for(run_type, MIDNIGHT - 30 * DAY, MIDNIGHT - 30 * DAY)
    assert latest_only().choose_branch(old) == ["notify", "report"]


def test_an_at_once_dag_run_is_always_the_latest():
    start = datetime(2026, 1, 1, tzinfo=UTC)
    assert latest_only("@once").choose_branch(context_for("scheduled", start, start)) == [
        "notify",
        "report",
    ]


# -- BranchDateTimeOperator ---------------------------------------------------------------


NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("lower", "upper", "expected"),
    [
        (time(9), time(17), True),
        (time(13), time(17), False),
        (time(9), time(11), False),
        (time(12), time(12), True),  # bounds are included
        # upper before lower: upper is on the next day, so 22:00 today to 13:00 tomorrow
        # (Airflow's rule: noon today is before the window, not inside last night's)
        (time(22), time(13), False),
        (None, time(13), True),
        (time(13), None, False),
        (datetime(2026, 3, 2, 11, tzinfo=UTC), datetime(2026, 3, 2, 13, tzinfo=UTC), True),
        (datetime(2026, 3, 1), datetime(2026, 3, 2, 11), False),  # naive: the DAG's zone
    ],
)
def test_the_window_compares_now_with_both_bounds(lower, upper, expected):
    assert in_window(NOON, lower, upper, "UTC") is expected


def test_a_window_across_midnight_ends_on_the_next_day():
    assert in_window(NOON.replace(hour=23), time(22), time(13), "UTC") is True


def test_naive_bounds_are_in_the_dags_time_zone():
    # 12:00 UTC is 13:00 in Paris (winter): inside 12:30-14:00 Paris, outside in UTC.
    assert in_window(NOON, time(12, 30), time(14), "Europe/Paris") is True
    assert in_window(NOON, time(12, 30), time(14), "UTC") is False


def datetime_branch(**kwargs):
    with DAG("dt", start_date=datetime(2026, 1, 1, tzinfo=UTC)):
        branch = BranchDateTimeOperator(
            task_id="branch",
            follow_task_ids_if_true="inside",
            follow_task_ids_if_false=["outside"],
            **kwargs,
        )
        branch >> [EmptyOperator(task_id="inside"), EmptyOperator(task_id="outside")]
    return branch


def test_use_task_logical_date_compares_the_runs_logical_date():
    branch = datetime_branch(
        target_lower=time(9), target_upper=time(17), use_task_logical_date=True
    )
    assert branch.choose_branch({"logical_date": NOON}) == "inside"
    assert branch.choose_branch({"logical_date": NOON.replace(hour=20)}) == ["outside"]


def test_without_logical_date_the_current_time_is_compared():
    now = datetime.now(UTC)
    around_now = datetime_branch(target_lower=now - DAY, target_upper=now + DAY)
    assert around_now.choose_branch({"logical_date": NOON}) == "inside"
    past = datetime_branch(target_lower=now - 2 * DAY, target_upper=now - DAY)
    assert past.choose_branch({}) == ["outside"]


def test_both_targets_none_is_a_definition_error():
    with pytest.raises(DagDefinitionError, match="target_lower and target_upper are both None"):
        datetime_branch(target_lower=None, target_upper=None)


def test_a_target_that_is_not_a_date_or_time_is_a_definition_error():
    with pytest.raises(DagDefinitionError, match="target_upper='17:00' must be"):
        datetime_branch(target_lower=time(9), target_upper="17:00")


# -- BranchDayOfWeekOperator --------------------------------------------------------------


@pytest.mark.parametrize(
    ("week_day", "numbers"),
    [
        ("Monday", {1}),
        ("sunday", {7}),
        (WeekDay.TUESDAY, {2}),
        ({"Saturday", "SUNDAY"}, {6, 7}),
        ({WeekDay.SATURDAY, WeekDay.SUNDAY}, {6, 7}),
        (["friday", WeekDay.MONDAY], {1, 5}),
    ],
)
def test_week_day_takes_names_enums_and_sets_of_them(week_day, numbers):
    assert WeekDay.validate_week_day(week_day) == numbers


def weekday_branch(week_day, **kwargs):
    with DAG("wd", start_date=datetime(2026, 1, 1, tzinfo=UTC), **kwargs):
        branch = BranchDayOfWeekOperator(
            task_id="branch",
            week_day=week_day,
            use_task_logical_date=True,
            follow_task_ids_if_true="weekend",
            follow_task_ids_if_false="workday",
        )
        branch >> [EmptyOperator(task_id="weekend"), EmptyOperator(task_id="workday")]
    return branch


def test_the_logical_dates_day_chooses_the_branch():
    branch = weekday_branch({WeekDay.SATURDAY, WeekDay.SUNDAY})
    saturday = datetime(2026, 3, 7, 10, tzinfo=UTC)
    assert branch.choose_branch({"logical_date": saturday}) == "weekend"
    assert branch.choose_branch({"logical_date": saturday + 2 * DAY}) == "workday"


def test_today_is_taken_in_the_dags_time_zone():
    zone = "Pacific/Kiritimati"  # UTC+14: often already tomorrow there
    today = datetime.now(ZoneInfo(zone)).strftime("%A")
    with DAG("tz", start_date=datetime(2026, 1, 1, tzinfo=ZoneInfo(zone))):
        branch = BranchDayOfWeekOperator(
            task_id="branch",
            week_day=today,
            follow_task_ids_if_true="yes",
            follow_task_ids_if_false="no",
        )
    assert branch.choose_branch({}) == "yes"


@pytest.mark.parametrize("week_day", ["Someday", 3, None])
def test_an_invalid_week_day_is_a_definition_error(week_day):
    with pytest.raises(DagDefinitionError, match="task 'branch'"):
        weekday_branch(week_day)
