"""What a DAG author may write as ``schedule=``, validated and normalised, and its description."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

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
        if getattr(value, "years", 0) or getattr(value, "months", 0):
            # pendulum.duration(months=1) steps by calendar months in Airflow; as a timedelta
            # it would be a fixed 30 days, so a month schedule would drift.
            raise InvalidScheduleError(
                f"schedule {value!r} counts calendar months or years, which a fixed interval "
                "cannot; use a cron string such as '@monthly' or '0 0 1 * *'"
            )
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
