"""The calendar view's layout: a year as columns of weeks (Monday on top), one cell per day,
each day's runs summed up as one outcome, like Airflow 3's calendar."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from scheduler.states import RunState

FAILED = {RunState.FAILED.value, RunState.COMPENSATION_FAILED.value}
ACTIVE = {RunState.QUEUED.value, RunState.RUNNING.value, RunState.COMPENSATING.value}


@dataclass(frozen=True)
class DayCell:
    day: date
    counts: dict[str, int]  # run state -> runs with a logical date that day

    @property
    def outcome(self) -> str:
        """``failed`` if a run of the day failed, else ``running`` while one is unfinished,
        else ``success`` (every run ended well), ``none`` without runs."""
        if not self.counts:
            return "none"
        if FAILED & self.counts.keys():
            return "failed"
        if ACTIVE & self.counts.keys():
            return "running"
        return "success"

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def title(self) -> str:
        if not self.counts:
            return f"{self.day:%a %Y-%m-%d}: no runs"
        parts = ", ".join(
            f"{n} {state.replace('_', ' ')}" for state, n in sorted(self.counts.items())
        )
        return f"{self.day:%a %Y-%m-%d}: {parts}"


@dataclass(frozen=True)
class Month:
    name: str
    column: int  # the week column its first day falls in


def year_weeks(year: int, days: dict[date, dict[str, int]]) -> list[list[DayCell | None]]:
    """Columns of 7 cells (Monday..Sunday); None pads the first and last weeks."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    monday = first - timedelta(days=first.weekday())
    weeks: list[list[DayCell | None]] = []
    while monday <= last:
        week = [monday + timedelta(days=i) for i in range(7)]
        weeks.append([DayCell(d, days.get(d, {})) if d.year == year else None for d in week])
        monday += timedelta(days=7)
    return weeks


def month_labels(weeks: list[list[DayCell | None]]) -> list[Month]:
    """Where each month's label goes: the first column holding its 1st day."""
    months = []
    for column, week in enumerate(weeks):
        for cell in week:
            if cell is not None and cell.day.day == 1:
                months.append(Month(f"{cell.day:%b}", column))
    return months
