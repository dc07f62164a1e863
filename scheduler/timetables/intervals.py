"""Data intervals, the runs a timetable asks for, and the Timetable protocol."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class DataInterval:
    """The span of data a run covers: ``[start, end)``, aware UTC datetimes."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"data interval ends ({self.end}) before it starts ({self.start})")


@dataclass(frozen=True)
class RunInfo:
    """One run a timetable asks for: its logical date, data interval, and when it may start."""

    logical_date: datetime
    data_interval: DataInterval
    run_after: datetime

    @classmethod
    def interval(cls, start: datetime, end: datetime) -> RunInfo:
        """A run over ``[start, end)``: its logical date is ``start``, it is due at ``end``."""
        return cls(start, DataInterval(start, end), end)

    @classmethod
    def exact(cls, at: datetime) -> RunInfo:
        """A run for one instant (``@once``, manual runs): interval ``[at, at]``, due at ``at``."""
        return cls(at, DataInterval(at, at), at)


@dataclass(frozen=True)
class TimeRestriction:
    """Airflow's restriction on automated runs: ``earliest`` is the DAG's start_date,
    ``latest`` its end_date (no run has a logical date after it)."""

    earliest: datetime | None
    latest: datetime | None
    catchup: bool


class Timetable(Protocol):
    """What the engine needs from a schedule (Airflow's Timetable, reduced to what we use)."""

    @property
    def summary(self) -> str: ...

    @property
    def periodic(self) -> bool:
        """True when the timetable creates runs by itself more than once."""
        ...

    def next_dagrun_info(
        self,
        *,
        last_automated_data_interval: DataInterval | None,
        restriction: TimeRestriction,
        now: datetime,
    ) -> RunInfo | None:
        """The next automated run after the last one, due or not; None if there is none."""
        ...

    def infer_manual_data_interval(self, *, run_after: datetime) -> DataInterval:
        """The data interval of a run triggered by hand at ``run_after``."""
        ...
