"""``BaseSensorOperator``: a task that waits for a condition (Airflow's sensors).

A sensor is a subclass with ``poke(context) -> bool`` (or a ``PokeReturnValue``).
``execute`` pokes until the condition holds, sleeping ``poke_interval`` seconds between
pokes (doubling, with jitter, when ``exponential_backoff=True``, never more than
``max_wait``). Past ``timeout`` the try fails with ``BatonSensorTimeout``, which is not
retried (as in Airflow: the timeout covers the sensor as a whole), or is skipped when
``soft_fail=True``.

    class FileSensor(BaseSensorOperator):
        def __init__(self, *, path: str, **kwargs):
            super().__init__(**kwargs)
            self.path = path

        def poke(self, context):
            return os.path.exists(self.path)

The sensor holds its worker slot while it waits (``mode="poke"``). With
``mode="reschedule"`` each poke is a short run on a worker: a poke that is not done ends as
``up_for_reschedule`` (the slot is given back) and the same try pokes again after
``poke_interval``; ``timeout`` counts from the first poke, as Airflow's. The sensors that
take ``deferrable=True`` (TimeDeltaSensor, DateTimeSensor, FileSensor, HttpSensor,
SqlSensor) wait in the triggerer instead (docs/events.md).
"""

from __future__ import annotations

import random
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from scheduler.authoring.baseoperator import BaseOperator
from scheduler.authoring.checks import to_timedelta
from scheduler.errors import (
    BatonRescheduleException,
    BatonSensorTimeout,
    BatonSkipException,
    DagDefinitionError,
    TaskDeferralTimeout,
)

_MODES = ("poke", "reschedule")
_MAX_BACKOFF_S = 24 * 60 * 60.0  # Airflow's cap on an exponential poke interval


@dataclass(frozen=True)
class PokeReturnValue:
    """What ``poke`` may return instead of a bool: done or not, and the XCom when done."""

    is_done: bool
    xcom_value: Any = None

    def __bool__(self) -> bool:
        return bool(self.is_done)


class BaseSensorOperator(BaseOperator):
    """Poke until ``poke(context)`` is true or ``timeout`` passes; see the module docstring."""

    ui_color = "#e6f1f2"

    def __init__(
        self,
        *,
        poke_interval: timedelta | float = 60,
        timeout: timedelta | float = timedelta(days=7),
        mode: str = "poke",
        soft_fail: bool = False,
        exponential_backoff: bool = False,
        max_wait: timedelta | float | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        where = f"task '{self.task_id}'"
        self.poke_interval = _seconds("poke_interval", poke_interval, where, self.location)
        self.timeout = _seconds("timeout", timeout, where, self.location)
        self.max_wait = (
            None if max_wait is None else _seconds("max_wait", max_wait, where, self.location)
        )
        if mode not in _MODES:
            raise DagDefinitionError(
                f"{where}: mode={mode!r} is not a sensor mode; use 'poke' (the default) or "
                "'reschedule'",
                location=self.location,
            )
        self.mode = mode
        self.soft_fail = bool(soft_fail)
        self.exponential_backoff = bool(exponential_backoff)

    def poke(self, context: Mapping[str, Any]) -> bool | PokeReturnValue:
        """Check the condition once: true (or a done ``PokeReturnValue``) ends the wait."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement poke(self, context) -> bool to be run"
        )

    def execute(self, context: Mapping[str, Any]) -> Any:
        if self.mode == "reschedule":
            return self._poke_once(context)
        started = time.monotonic()
        pokes = 0
        while True:
            pokes += 1
            result = self.poke(context)
            if result:
                self.log.info("Success criteria met after %d poke(s). Exiting.", pokes)
                return result.xcom_value if isinstance(result, PokeReturnValue) else None
            elapsed = time.monotonic() - started
            if elapsed >= self.timeout:
                self._timed_out(pokes, elapsed)
            delay = min(self.next_poke_interval(pokes), self.timeout - elapsed)
            self.log.info("Condition not met (poke %d); next poke in %.2f s", pokes, delay)
            time.sleep(max(delay, 0.0))

    def _poke_once(self, context: Mapping[str, Any]) -> Any:
        """Reschedule mode: one poke, then give the slot back until the next one."""
        now = datetime.now(UTC)
        ti = context.get("ti")
        first = getattr(ti, "first_poke_at", None) or now
        result = self.poke(context)
        if result:
            self.log.info("Success criteria met. Exiting.")
            return result.xcom_value if isinstance(result, PokeReturnValue) else None
        elapsed = (now - first).total_seconds()
        if elapsed >= self.timeout:
            self._timed_out(0, elapsed)
        # The poke count is not kept between reschedules: estimate it from the time spent.
        pokes = 1 + int(elapsed // self.poke_interval) if self.poke_interval > 0 else 1
        delay = min(self.next_poke_interval(pokes), self.timeout - elapsed)
        raise BatonRescheduleException(now + timedelta(seconds=max(delay, 0.0)))

    def resume_execution(
        self, next_method: str, next_kwargs: dict[str, Any] | None, context: dict[str, Any]
    ) -> Any:
        """A deferred sensor whose deferral timed out failed its ``timeout``: the sensor
        timeout (no retry), or a skip with ``soft_fail`` (Airflow's)."""
        try:
            return super().resume_execution(next_method, next_kwargs, context)
        except TaskDeferralTimeout:
            self._timed_out(0, self.timeout)

    def next_poke_interval(self, pokes: int) -> float:
        """Seconds to wait after the ``pokes``-th unsuccessful poke."""
        interval = self.poke_interval
        if self.exponential_backoff and interval > 0:
            interval = min(interval * 2 ** (pokes - 1), _MAX_BACKOFF_S)
            interval = random.uniform(interval / 2, interval)  # jitter: sensors do not march
            interval = max(interval, self.poke_interval)
        if self.max_wait is not None:
            interval = min(interval, self.max_wait)
        return interval

    def _timed_out(self, pokes: int, elapsed: float) -> None:
        message = (
            f"sensor '{self.task_id}' timed out: its condition was still not met after "
            f"{elapsed:.1f} s{f' and {pokes} poke(s)' if pokes else ''} "
            f"(timeout={self.timeout:g} s); raise the "
            "sensor's timeout or check what it waits for"
        )
        if self.soft_fail:
            raise BatonSkipException(f"{message} (soft_fail=True: skipping)")
        raise BatonSensorTimeout(message)


def _seconds(name: str, value: Any, where: str, location: str | None) -> float:
    delta = to_timedelta(name, value, where, location)
    if delta is None:
        raise DagDefinitionError(
            f"{where}: {name}=None is not allowed; give seconds or a timedelta", location
        )
    return delta.total_seconds()
