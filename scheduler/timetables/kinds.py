"""The timetables: manual only, once, cron (time-zone aware) and fixed delta."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

from scheduler.errors import InvalidScheduleError
from scheduler.timetables.intervals import DataInterval, RunInfo, TimeRestriction
from scheduler.timetables.schedule import CRON_PRESETS, ONCE, describe


@dataclass(frozen=True)
class NullTimetable:
    """``schedule=None``: the DAG runs only when triggered."""

    summary: str = "manual"
    periodic: bool = False

    def next_dagrun_info(self, **_: Any) -> RunInfo | None:
        return None

    def infer_manual_data_interval(self, *, run_after: datetime) -> DataInterval:
        return DataInterval(run_after, run_after)


@dataclass(frozen=True)
class OnceTimetable:
    """``@once``: one automated run, at start_date, with the interval ``[start, start]``."""

    summary: str = ONCE
    periodic: bool = False

    def next_dagrun_info(
        self,
        *,
        last_automated_data_interval: DataInterval | None,
        restriction: TimeRestriction,
        now: datetime,
    ) -> RunInfo | None:
        start = restriction.earliest
        if last_automated_data_interval is not None or start is None:
            return None
        if restriction.latest is not None and start > restriction.latest:
            return None
        return RunInfo.exact(start)

    def infer_manual_data_interval(self, *, run_after: datetime) -> DataInterval:
        return DataInterval(run_after, run_after)


class _IntervalTimetable:
    """Runs over consecutive intervals ``[tick, next tick)`` (Airflow's data-interval
    timetables). Subclasses say what a tick is; this class decides which interval is next."""

    periodic = True

    def next_dagrun_info(
        self,
        *,
        last_automated_data_interval: DataInterval | None,
        restriction: TimeRestriction,
        now: datetime,
    ) -> RunInfo | None:
        if restriction.earliest is None:
            return None
        earliest = self._align_to_next(restriction.earliest)
        if not restriction.catchup:
            earliest = self._skip_to_latest(earliest, now)
        start = earliest
        if last_automated_data_interval is not None:
            # Aligning copes with a schedule changed since the last run.
            start = max(self._align_to_prev(last_automated_data_interval.end), earliest)
        if restriction.latest is not None and start > restriction.latest:
            return None
        return RunInfo.interval(start, self._get_next(start))

    def infer_manual_data_interval(self, *, run_after: datetime) -> DataInterval:
        # Airflow 3: a manual run covers the instant it was triggered for.
        return DataInterval(run_after, run_after)

    def _get_next(self, current: datetime) -> datetime:
        raise NotImplementedError

    def _align_to_next(self, current: datetime) -> datetime:
        raise NotImplementedError

    def _align_to_prev(self, current: datetime) -> datetime:
        raise NotImplementedError

    def _skip_to_latest(self, earliest: datetime, now: datetime) -> datetime:
        """Start of the latest interval complete at ``now``, but not before ``earliest``."""
        raise NotImplementedError


class CronTimetable(_IntervalTimetable):
    """A cron expression or preset, evaluated on the wall clock of ``timezone``.

    Each run covers ``[previous tick, next tick)``, has the previous tick as logical date and
    is due at the next tick. Daylight saving time: a schedule with one fixed time of day
    (``0 2 * * *``) fires once a day, and a time inside the spring-forward gap fires as late
    as the gap (02:30 becomes 03:30); a schedule that fires several times a day (``0 * * * *``)
    keeps firing at real intervals through the repeated and the missing hour.
    """

    def __init__(self, expression: str, timezone: str = "UTC") -> None:
        self.summary = expression
        self.expression = CRON_PRESETS.get(expression, expression)
        self.timezone = timezone
        self._zone = _zone(timezone)
        minutes, hours = croniter(self.expression).expanded[:2]
        self._fixed_time = len(minutes) == 1 and len(hours) == 1 and "*" not in hours

    def __repr__(self) -> str:
        return f"CronTimetable({self.summary!r}, {self.timezone!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CronTimetable):
            return NotImplemented
        return (self.expression, self.timezone) == (other.expression, other.timezone)

    def __hash__(self) -> int:
        return hash((self.expression, self.timezone))

    def _get_next(self, current: datetime) -> datetime:
        return self._step(current, forward=True)

    def _get_prev(self, current: datetime) -> datetime:
        return self._step(current, forward=False)

    def _align_to_next(self, current: datetime) -> datetime:
        following = self._get_next(current)
        return current if self._get_prev(following) == current else following

    def _align_to_prev(self, current: datetime) -> datetime:
        previous = self._get_prev(current)
        return current if self._get_next(previous) == current else previous

    def _skip_to_latest(self, earliest: datetime, now: datetime) -> datetime:
        return max(self._get_prev(self._align_to_prev(now)), earliest)

    def _step(self, current: datetime, *, forward: bool) -> datetime:
        """The tick strictly after (or before) ``current``, as an aware UTC datetime."""
        naive = current.astimezone(self._zone).replace(tzinfo=None)
        scheduled = _cron_step(self.expression, naive, forward)
        if not self._fixed_time and (self._irregular(naive) or self._irregular(scheduled)):
            # Near a DST change the wall clock repeats or skips an hour: move by the wall-clock
            # distance in real time, so an hourly schedule neither skips nor doubles a run.
            return (current + (scheduled - naive)).astimezone(UTC)
        return scheduled.replace(tzinfo=self._zone).astimezone(UTC)

    def _irregular(self, wall: datetime) -> bool:
        """True when ``wall`` is ambiguous (repeated hour) or missing (spring-forward gap)."""
        first = wall.replace(tzinfo=self._zone, fold=0).utcoffset()
        return first != wall.replace(tzinfo=self._zone, fold=1).utcoffset()


class DeltaTimetable(_IntervalTimetable):
    """A fixed period (``timedelta``): intervals ``[start, start+delta)``,
    ``[start+delta, start+2*delta)``... counted in real time from start_date.

    Unlike Airflow, which skips to ``[now - delta, now)`` when catchup is off, the intervals
    stay on the grid anchored at start_date, so logical dates do not depend on when the
    scheduler happened to look.
    """

    def __init__(self, seconds: float) -> None:
        if seconds <= 0:
            raise InvalidScheduleError(f"schedule of {seconds} seconds must be positive")
        self.seconds = float(seconds)
        self.delta = timedelta(seconds=seconds)
        self.summary = describe(self.seconds)

    def __repr__(self) -> str:
        return f"DeltaTimetable({self.seconds!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DeltaTimetable):
            return NotImplemented
        return self.seconds == other.seconds

    def __hash__(self) -> int:
        return hash(self.seconds)

    def _get_next(self, current: datetime) -> datetime:
        return current + self.delta

    def _align_to_next(self, current: datetime) -> datetime:
        return current

    def _align_to_prev(self, current: datetime) -> datetime:
        return current

    def _skip_to_latest(self, earliest: datetime, now: datetime) -> datetime:
        complete = (now - earliest) // self.delta  # whole intervals elapsed since earliest
        return earliest + self.delta * max(complete - 1, 0)


@lru_cache(maxsize=16384)
def _cron_step(expression: str, naive: datetime, forward: bool) -> datetime:
    # croniter costs ~50-80 us a call; the same ticks are asked for again and again
    # (aligning the last interval's end, the next interval...), so remember them.
    itr = croniter(expression, naive)
    return itr.get_next(datetime) if forward else itr.get_prev(datetime)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidScheduleError(
            f"timezone {name!r} is not a known IANA time zone; use a name like "
            "'UTC' or 'Europe/Amsterdam'"
        ) from None
