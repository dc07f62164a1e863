"""``BranchDateTimeOperator``: follow one list of tasks inside a time window, another outside.

    BranchDateTimeOperator(
        task_id="office_hours",
        target_lower=time(9), target_upper=time(17),      # or full datetimes
        follow_task_ids_if_true="call_people",
        follow_task_ids_if_false="send_email",
    )

"Inside" means ``target_lower <= now <= target_upper`` (a missing bound is open). ``time``
bounds are taken on the day of ``now`` (``upper`` the next day if it is before ``lower``);
naive bounds are in the DAG's time zone. ``now`` is the current time, or the run's logical
date with ``use_task_logical_date=True`` (useful for catch-up).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from scheduler.authoring.operators.branch import BaseBranchOperator
from scheduler.errors import DagDefinitionError

Target = datetime | time | None


class BranchDateTimeOperator(BaseBranchOperator):
    """Branch on whether now (or the logical date) is between two bounds."""

    def __init__(
        self,
        *,
        follow_task_ids_if_true: str | Iterable[str],
        follow_task_ids_if_false: str | Iterable[str],
        target_lower: Target,
        target_upper: Target,
        use_task_logical_date: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if target_lower is None and target_upper is None:
            raise DagDefinitionError(
                f"task '{self.task_id}': target_lower and target_upper are both None; set at "
                "least one of them (a datetime or a time) to compare the current time with",
                location=self.location,
            )
        for name, value in (("target_lower", target_lower), ("target_upper", target_upper)):
            if value is not None and not isinstance(value, datetime | time):
                raise DagDefinitionError(
                    f"task '{self.task_id}': {name}={value!r} must be a datetime.datetime, a "
                    "datetime.time or None",
                    location=self.location,
                )
        self.target_lower = target_lower
        self.target_upper = target_upper
        self.follow_task_ids_if_true = follow_task_ids_if_true
        self.follow_task_ids_if_false = follow_task_ids_if_false
        self.use_task_logical_date = use_task_logical_date

    def choose_branch(self, context: Mapping[str, Any]) -> str | Iterable[str]:
        now = context["logical_date"] if self.use_task_logical_date else datetime.now(UTC)
        if in_window(now, self.target_lower, self.target_upper, self.dag.timezone):
            return self.follow_task_ids_if_true
        return self.follow_task_ids_if_false


def in_window(now: datetime, lower: Target, upper: Target, timezone: str) -> bool:
    """True when ``lower <= now <= upper`` (Airflow's comparison, bounds included)."""
    low, high = target_times_as_dates(now, lower, upper, ZoneInfo(timezone))
    if high is not None and high < now:
        return False
    return not (low is not None and low > now)


def target_times_as_dates(
    base: datetime, lower: Target, upper: Target, zone: ZoneInfo
) -> tuple[datetime | None, datetime | None]:
    """The bounds as aware datetimes: a ``time`` on ``base``'s (UTC) day, naive values in
    ``zone``; ``upper`` moves to the next day when it would otherwise be before ``lower``
    (unless both were given as datetimes)."""
    both_dates = isinstance(lower, datetime) and isinstance(upper, datetime)
    low, high = _as_date(base, lower, zone), _as_date(base, upper, zone)
    if not both_dates and low is not None and high is not None and high < low:
        high += timedelta(days=1)
    return low, high


def _as_date(base: datetime, value: Target, zone: ZoneInfo) -> datetime | None:
    if value is None:
        return None
    moment = value if isinstance(value, datetime) else datetime.combine(base.date(), value)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)
