"""``TimeDeltaSensor`` and ``DateTimeSensor`` (Airflow's), each with ``deferrable=True``.

``TimeDeltaSensor(delta=...)`` waits until the run's ``data_interval_end`` + ``delta``;
``DateTimeSensor(target_time=...)`` until a moment (a datetime, or a templated ISO string).
Deferred, they wait in the triggerer with a ``DateTimeTrigger`` and hold no worker slot.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from scheduler.authoring.sensors import BaseSensorOperator
from scheduler.errors import DagDefinitionError, TaskExecutionError


class _MomentSensor(BaseSensorOperator):
    """Waits for ``target(context)``; deferrable to a DateTimeTrigger."""

    def __init__(self, *, deferrable: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.deferrable = bool(deferrable)

    def target(self, context: Mapping[str, Any]) -> datetime:
        raise NotImplementedError

    def poke(self, context: Mapping[str, Any]) -> bool:
        target = self.target(context)
        self.log.info("Checking if the time (%s) has come", target.isoformat())
        return datetime.now(UTC) >= target

    def execute(self, context: Mapping[str, Any]) -> Any:
        if not self.deferrable:
            return super().execute(context)
        from scheduler.triggers.temporal import DateTimeTrigger

        target = self.target(context)
        if datetime.now(UTC) >= target:
            return None
        self.defer(
            trigger=DateTimeTrigger(moment=target),
            method_name="execute_complete",
            timeout=timedelta(seconds=self.timeout),
        )

    def execute_complete(self, context: Mapping[str, Any], event: Any = None) -> None:
        self.log.info("%s has passed", event)


class TimeDeltaSensor(_MomentSensor):
    """Wait until ``delta`` after the run's data interval end (Airflow's)."""

    def __init__(self, *, delta: timedelta, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not isinstance(delta, timedelta):
            raise DagDefinitionError(
                f"task '{self.task_id}': delta={delta!r} must be a timedelta",
                location=self.location,
            )
        self.delta = delta

    def target(self, context: Mapping[str, Any]) -> datetime:
        end = context.get("data_interval_end") or context.get("logical_date")
        if not isinstance(end, datetime):
            raise TaskExecutionError(
                f"task '{self.task_id}': TimeDeltaSensor waits from the run's "
                f"data_interval_end or logical_date, and this context has neither ({end!r}); "
                "use a DateTimeSensor with an explicit target_time instead"
            )
        return _aware(end) + self.delta


class DateTimeSensor(_MomentSensor):
    """Wait until ``target_time``: a datetime or an ISO string, templated (Airflow's)."""

    template_fields = ("target_time",)

    def __init__(self, *, target_time: str | datetime, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(target_time, datetime):
            target_time = target_time.isoformat()
        if not isinstance(target_time, str):
            raise DagDefinitionError(
                f"task '{self.task_id}': target_time={target_time!r} must be a datetime or an "
                "ISO 8601 string (a Jinja template is allowed)",
                location=self.location,
            )
        self.target_time = target_time

    def target(self, context: Mapping[str, Any]) -> datetime:
        return _aware(datetime.fromisoformat(str(self.target_time)))


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
