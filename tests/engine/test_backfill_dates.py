"""A backfill's dates and its decision per date (pure: no database, no scheduler)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from scheduler import DAG, PythonOperator
from scheduler.authoring import serialize_dag
from scheduler.engine.backfill import MAX_DATES, backfill_dates, decide
from scheduler.errors import InvalidBackfillError
from scheduler.spec import DagSpec

START = datetime(2025, 1, 1, tzinfo=UTC)


def _spec(schedule: object) -> DagSpec:
    with DAG("d", schedule=schedule, start_date=START, catchup=False) as dag:
        PythonOperator(task_id="t", python_callable=print)
    return serialize_dag(dag)


def _day(day: int) -> datetime:
    return datetime(2025, 3, day, tzinfo=UTC)


def test_daily_dates_include_both_ends_with_the_schedules_interval() -> None:
    infos = backfill_dates(_spec("@daily"), _day(1), _day(10))
    assert [i.logical_date for i in infos] == [_day(d) for d in range(1, 11)]
    assert all(i.data_interval.end - i.data_interval.start == timedelta(days=1) for i in infos)


def test_unaligned_bounds_take_the_schedules_ticks_inside() -> None:
    infos = backfill_dates(_spec("0 6 * * *"), _day(1), datetime(2025, 3, 3, 5, tzinfo=UTC))
    assert [i.logical_date.hour for i in infos] == [6, 6]  # 03-01 06:00 and 03-02 06:00


def test_run_backwards_reverses_the_order() -> None:
    infos = backfill_dates(_spec("@daily"), _day(1), _day(3), run_backwards=True)
    assert [i.logical_date for i in infos] == [_day(3), _day(2), _day(1)]


def test_a_timedelta_schedule_works_too() -> None:
    infos = backfill_dates(_spec(timedelta(hours=6)), _day(1), _day(2))
    assert len(infos) == 5  # 00, 06, 12, 18 and the next day 00


@pytest.mark.parametrize("schedule", [None, "@once"])
def test_a_dag_without_a_time_based_schedule_is_refused(schedule: object) -> None:
    with pytest.raises(InvalidBackfillError, match="has no time-based schedule"):
        backfill_dates(_spec(schedule), _day(1), _day(2))


def test_swapped_empty_and_huge_ranges_are_refused() -> None:
    with pytest.raises(InvalidBackfillError, match="is before --from-date"):
        backfill_dates(_spec("@daily"), _day(2), _day(1))
    with pytest.raises(InvalidBackfillError, match="widen the range"):
        backfill_dates(_spec("@monthly"), _day(2), _day(20))
    with pytest.raises(InvalidBackfillError, match=f"more than {MAX_DATES} runs"):
        backfill_dates(_spec("@hourly"), datetime(2020, 1, 1, tzinfo=UTC), _day(1))


@pytest.mark.parametrize(
    ("state", "none", "failed", "completed"),
    [
        (None, "create", "create", "create"),
        ("queued", "in_flight", "in_flight", "in_flight"),
        ("running", "in_flight", "in_flight", "in_flight"),
        ("compensating", "in_flight", "in_flight", "in_flight"),
        ("success", "already_exists", "already_exists", "clear"),
        ("failed", "already_exists", "clear", "clear"),
        ("compensation_failed", "already_exists", "clear", "clear"),
    ],
)
def test_what_each_reprocess_behavior_does(
    state: str | None, none: str, failed: str, completed: str
) -> None:
    run = None if state is None else SimpleNamespace(state=state)
    assert [decide(run, b) for b in ("none", "failed", "completed")] == [none, failed, completed]
