"""``BranchDayOfWeekOperator``: follow one list of tasks on some days of the week, another
on the others.

    BranchDayOfWeekOperator(
        task_id="weekend_check",
        week_day={WeekDay.SATURDAY, WeekDay.SUNDAY},      # or "Saturday", {"saturday", ...}
        use_task_logical_date=True,
        follow_task_ids_if_true="weekend",
        follow_task_ids_if_false="workday",
    )

The day is today's in the DAG's time zone, or the run's logical date's (UTC) with
``use_task_logical_date=True``.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from scheduler.authoring.operators.branch import BaseBranchOperator
from scheduler.errors import DagDefinitionError


@enum.unique
class WeekDay(enum.IntEnum):
    """The days of the week, numbered as ISO 8601 (``datetime.isoweekday``)."""

    MONDAY = 1
    TUESDAY = 2
    WEDNESDAY = 3
    THURSDAY = 4
    FRIDAY = 5
    SATURDAY = 6
    SUNDAY = 7

    @classmethod
    def get_weekday_number(cls, week_day_str: str) -> WeekDay:
        """The day named ``week_day_str`` in full, in any case (``"sunday"``)."""
        name = week_day_str.upper() if isinstance(week_day_str, str) else week_day_str
        if name not in cls.__members__:
            days = ", ".join(d.name.capitalize() for d in cls)
            raise ValueError(f"invalid week day {week_day_str!r}; use one of {days}")
        return cls[name]

    @classmethod
    def convert(cls, day: str | WeekDay) -> WeekDay:
        return day if isinstance(day, WeekDay) else cls.get_weekday_number(day)

    @classmethod
    def validate_week_day(cls, week_day: str | WeekDay | Iterable[str | WeekDay]) -> set[int]:
        """The ISO numbers of ``week_day``: one day, or an iterable of days."""
        if isinstance(week_day, str | WeekDay):
            week_day = [week_day]
        if not isinstance(week_day, Iterable):
            raise TypeError(
                f"week_day={week_day!r} ({type(week_day).__name__}) must be a day name, a "
                "WeekDay, or a set/list of them"
            )
        return {int(cls.convert(day)) for day in week_day}


class BranchDayOfWeekOperator(BaseBranchOperator):
    """Branch on whether today (or the logical date) is one of ``week_day``."""

    def __init__(
        self,
        *,
        follow_task_ids_if_true: str | Iterable[str],
        follow_task_ids_if_false: str | Iterable[str],
        week_day: str | WeekDay | Iterable[str | WeekDay],
        use_task_logical_date: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        try:
            self._week_day_num = WeekDay.validate_week_day(week_day)
        except (TypeError, ValueError) as exc:
            raise DagDefinitionError(
                f"task '{self.task_id}': {exc}", location=self.location
            ) from None
        self.follow_task_ids_if_true = follow_task_ids_if_true
        self.follow_task_ids_if_false = follow_task_ids_if_false
        self.week_day = week_day
        self.use_task_logical_date = use_task_logical_date

    def choose_branch(self, context: Mapping[str, Any]) -> str | Iterable[str]:
        if self.use_task_logical_date:
            day = context["logical_date"]
        else:
            day = datetime.now(UTC).astimezone(ZoneInfo(self.dag.timezone))
        if day.isoweekday() in self._week_day_num:
            return self.follow_task_ids_if_true
        return self.follow_task_ids_if_false
