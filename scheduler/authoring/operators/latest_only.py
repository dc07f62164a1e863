"""``LatestOnlyOperator``: run the downstream tasks only in the latest scheduled run.

During a catch-up, the runs of past intervals skip their direct downstream tasks (their own
downstream tasks follow their trigger rules); only the run of the most recent interval goes
on. Manual runs (``baton dags trigger``, ``baton dags test``) are never skipped.

The rule is Airflow 3's (providers-standard): a scheduled run is the latest when
``data_interval_start < now <= end of the next interval``; with no next interval (``@once``,
past the schedule's end) it is the latest.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from scheduler.authoring.operators.branch import BaseBranchOperator
from scheduler.authoring.skipmixin import direct_downstream
from scheduler.timetables import DataInterval, TimeRestriction, timetable_for

#: Run types started by a person, whose downstream tasks always run.
_MANUAL_RUN_TYPES = frozenset({"manual", "test"})


class LatestOnlyOperator(BaseBranchOperator):
    """Skip the direct downstream tasks unless this run is the latest scheduled interval."""

    ui_color = "#e9ffdb"

    def choose_branch(self, context: Mapping[str, Any]) -> list[str]:
        dag_run = context["dag_run"]
        if dag_run.run_type in _MANUAL_RUN_TYPES:
            self.log.info("Manually triggered run: allowing execution to proceed.")
            return direct_downstream(self)
        window = latest_window(
            self.dag.schedule,
            self.dag.timezone,
            DataInterval(dag_run.data_interval_start, dag_run.data_interval_end),
        )
        if window is None:
            self.log.info("Last scheduled execution: allowing execution to proceed.")
            return direct_downstream(self)
        now = datetime.now(UTC)
        left, right = window
        self.log.info(
            "Checking latest only with left_window: %s right_window: %s now: %s", left, right, now
        )
        if not left < now <= right:
            self.log.info("Not latest execution, skipping downstream.")
            return []
        self.log.info("Latest, allowing execution to proceed.")
        return direct_downstream(self)


def latest_window(
    schedule: str | float | None, timezone: str, current: DataInterval
) -> tuple[datetime, datetime] | None:
    """``(left, right)``: the run over ``current`` is the latest while ``left < now <= right``.

    ``left`` is the start of ``current`` and ``right`` the end of the interval after it;
    None when the schedule has no interval after ``current``.
    """
    timetable = timetable_for(schedule, timezone)
    following = timetable.next_dagrun_info(
        last_automated_data_interval=current,
        restriction=TimeRestriction(earliest=current.end, latest=None, catchup=True),
        now=current.end,
    )
    if following is None:
        return None
    return current.start, following.data_interval.end
