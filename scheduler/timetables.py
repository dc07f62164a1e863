"""Schedules: what a DAG author writes (``schedule=``) and the data intervals it produces.

``normalize_schedule`` turns the authored value into the stored form of ``DagSpec.schedule``
(a cron/preset string, a number of seconds, or None). The timetables turn that stored form
into runs; everything here is pure: no I/O, the clock is always passed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterBadCronError, CroniterBadDateError, croniter

from scheduler.errors import InvalidScheduleError

#: Airflow's cron presets and the cron expression each stands for.
CRON_PRESETS: dict[str, str] = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@quarterly": "0 0 1 */3 *",
    "@yearly": "0 0 1 1 *",
}
ONCE = "@once"
_FIELD_NAMES = ("minute", "hour", "day of month", "month", "day of week")
_ACCEPTED = (
    "use a cron string like '0 6 * * *', a preset (@once, "
    + ", ".join(CRON_PRESETS)
    + "), a timedelta, or None"
)


def normalize_schedule(value: Any) -> str | float | None:
    """Validate an authored ``schedule`` and return its stored form.

    None stays None (manual runs only); a preset or a 5-field cron string is returned stripped;
    a positive ``timedelta`` becomes its total seconds. Anything else raises
    ``InvalidScheduleError`` naming the value and what is accepted.
    """
    if value is None:
        return None
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
        if seconds <= 0:
            raise InvalidScheduleError(
                f"schedule timedelta {value!r} must be positive; {_ACCEPTED}"
            )
        return seconds
    if isinstance(value, str):
        return _normalize_string(value)
    hint = ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        hint = f" (for every {value} seconds write timedelta(seconds={value}))"
    raise InvalidScheduleError(
        f"schedule {value!r} of type {type(value).__name__} is not supported{hint}; {_ACCEPTED}"
    )


def _normalize_string(value: str) -> str:
    text = value.strip()
    if text == ONCE or text in CRON_PRESETS:
        return text
    if text == "@continuous":
        raise InvalidScheduleError(
            f"schedule {value!r} is not supported by Baton (no continuous runs); {_ACCEPTED}"
        )
    if text.startswith("@"):
        raise InvalidScheduleError(f"schedule {value!r} is not a known preset; {_ACCEPTED}")
    fields = text.split()
    if len(fields) != 5:
        raise InvalidScheduleError(
            f"schedule {value!r} is not a valid cron expression (it has {len(fields)} fields, "
            f"cron needs 5: minute hour day-of-month month day-of-week); {_ACCEPTED}"
        )
    _check_cron(value, " ".join(fields))
    return " ".join(fields)


def _check_cron(value: str, expr: str) -> None:
    """Raise a message that names the bad field, which croniter's own message does not."""
    try:
        croniter(expr)
    except CroniterBadCronError:
        raise InvalidScheduleError(
            f"schedule {value!r} is not a valid cron expression ({_bad_field(expr)}); {_ACCEPTED}"
        ) from None
    try:
        # A syntactically valid expression may never fire (e.g. February 30th).
        croniter(expr).get_next(float)
    except CroniterBadDateError:
        raise InvalidScheduleError(
            f"schedule {value!r} never matches any date; {_ACCEPTED}"
        ) from None


def _bad_field(expr: str) -> str:
    fields = expr.split()
    for index, name in enumerate(_FIELD_NAMES):
        probe = ["*"] * 5
        probe[index] = fields[index]
        try:
            croniter(" ".join(probe))
        except CroniterBadCronError:
            return f"{name} {fields[index]!r} is out of range or malformed"
    return "the fields do not combine into a valid expression"


def describe(schedule: str | float | None) -> str:
    """Human text for a stored schedule: ``"@daily"``, ``"0 6 * * *"``, ``"every 1:00:00"``,
    ``"manual"``."""
    if schedule is None:
        return "manual"
    if isinstance(schedule, str):
        return schedule
    return f"every {timedelta(seconds=schedule)}"


# --------------------------------------------------------------------------- data intervals


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


# --------------------------------------------------------------------------- timetables


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


# --------------------------------------------------------------------------- engine entry points


@lru_cache(maxsize=1024)
def timetable_for(schedule: str | float | None, timezone: str = "UTC") -> Timetable:
    """The timetable of a stored (normalised) schedule; cached, timetables are immutable."""
    if schedule is None:
        return NullTimetable()
    if isinstance(schedule, str):
        schedule = normalize_schedule(schedule)
        if schedule == ONCE:
            return OnceTimetable()
        return CronTimetable(str(schedule), timezone)
    if isinstance(schedule, int | float) and not isinstance(schedule, bool):
        return DeltaTimetable(schedule)
    normalize_schedule(schedule)  # raises InvalidScheduleError with the full explanation
    raise AssertionError("unreachable")


def upcoming_run_info(
    timetable: Timetable,
    *,
    last_interval: DataInterval | None,
    now: datetime,
    start_date: datetime | None,
    end_date: datetime | None,
    catchup: bool,
) -> RunInfo | None:
    """The next automated run, due or not: None when there will never be one.

    The engine should call this once after creating a run and keep ``run_after`` (Airflow's
    ``next_dagrun_create_after``) as its timer: "is a run due" is then a comparison, and
    croniter runs again only when the timer fires.

    - catchup=True: the first interval at/after start_date, then the one right after
      ``last_interval``, one per call, in order;
    - catchup=False: the latest interval complete at ``now`` (missed ones are skipped), but
      never one before the interval following ``last_interval``;
    - no run whose logical date is after end_date; none at all without a start_date.
    """
    if start_date is None:
        return None
    restriction = TimeRestriction(_utc(start_date), end_date and _utc(end_date), catchup)
    return timetable.next_dagrun_info(
        last_automated_data_interval=last_interval, restriction=restriction, now=_utc(now)
    )


def next_run_info(
    timetable: Timetable,
    *,
    last_interval: DataInterval | None,
    now: datetime,
    start_date: datetime | None,
    end_date: datetime | None,
    catchup: bool,
) -> RunInfo | None:
    """The automated run to create now, or None if none is due yet (or ever)."""
    info = upcoming_run_info(
        timetable,
        last_interval=last_interval,
        now=now,
        start_date=start_date,
        end_date=end_date,
        catchup=catchup,
    )
    return info if info is not None and info.run_after <= now else None


def next_due_at(
    timetable: Timetable,
    *,
    last_interval: DataInterval | None,
    now: datetime,
    start_date: datetime | None,
    end_date: datetime | None,
    catchup: bool,
) -> datetime | None:
    """When the next automated run becomes due (possibly already past); None if never."""
    info = upcoming_run_info(
        timetable,
        last_interval=last_interval,
        now=now,
        start_date=start_date,
        end_date=end_date,
        catchup=catchup,
    )
    return info.run_after if info is not None else None


def manual_run_info(timetable: Timetable, logical_date: datetime) -> RunInfo:
    """A run triggered by hand for ``logical_date`` (the trigger time unless the user gave
    one): due at once, covering ``[logical_date, logical_date]`` as in Airflow 3."""
    when = _utc(logical_date)
    return RunInfo(when, timetable.infer_manual_data_interval(run_after=when), when)


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            f"datetime {value.isoformat()} has no time zone; pass an aware datetime "
            "(e.g. datetime.now(UTC))"
        )
    return value.astimezone(UTC)
