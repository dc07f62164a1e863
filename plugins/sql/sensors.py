"""``SqlSensor``: wait until a query's first row says so (Airflow's ``SqlSensor``).

Each poke runs ``sql``. No row: not yet (or a failure with ``fail_on_empty=True``).
Otherwise ``selector(first_row)`` (the first column by default) is checked: ``failure``
returning true fails the try at once; ``success`` decides, or else the value's truth.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from operator import itemgetter
from typing import Any

from plugins.sql.hook import SqlHook
from scheduler import BaseSensorOperator
from scheduler.errors import BatonFailException, DagDefinitionError

Check = Callable[[Any], bool]
_FIRST = itemgetter(0)  # the default selector: the first column


class SqlSensor(BaseSensorOperator):
    """Poke ``sql`` on ``conn_id`` until its first row meets the criteria."""

    template_fields: Sequence[str] = ("sql", "parameters")
    template_ext: Sequence[str] = (".sql",)
    ui_color = "#7c7287"

    def __init__(
        self,
        *,
        conn_id: str,
        sql: str,
        parameters: Mapping[str, Any] | None = None,
        success: Check | None = None,
        failure: Check | None = None,
        selector: Callable[[Sequence[Any]], Any] = _FIRST,
        fail_on_empty: bool = False,
        deferrable: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.deferrable = bool(deferrable)
        for name, value in (("success", success), ("failure", failure)):
            if value is not None and not callable(value):
                raise DagDefinitionError(
                    f"task '{self.task_id}': {name}={value!r} must be a function of the "
                    "selected value, e.g. lambda value: value > 0",
                    location=self.location,
                )
        self.conn_id = conn_id
        self.sql = sql
        self.parameters = parameters
        self.success = success
        self.failure = failure
        self.selector = selector
        self.fail_on_empty = fail_on_empty

    def execute(self, context: Mapping[str, Any]) -> Any:
        """Deferrable: one poke here, then the triggerer polls (``SqlSensorTrigger``)."""
        if not self.deferrable:
            return super().execute(context)
        if self.poke(context):
            return None
        self._defer(first_wait=0.0)

    def _defer(self, first_wait: float) -> None:
        from datetime import timedelta

        from plugins.sql.triggers import SqlSensorTrigger

        plain = self.success is None and self.failure is None and self.selector is _FIRST
        self.defer(
            trigger=SqlSensorTrigger(
                conn_id=self.conn_id,
                sql=self.sql,
                parameters=dict(self.parameters or {}),
                test_first_cell=plain,
                poke_interval=self.poke_interval,
                first_wait=first_wait,
            ),
            method_name="execute_complete",
            timeout=timedelta(seconds=self.timeout),
        )

    def execute_complete(self, context: Mapping[str, Any], event: Any = None) -> None:
        """A first row came: the criteria decide here; "not yet" defers again."""
        if self._met([tuple(event["row"])]):
            return None
        self.log.info("Criteria not met for row %r: deferring again", event["row"])
        self._defer(first_wait=self.poke_interval)

    def poke(self, context: Mapping[str, Any]) -> bool:
        return self._met(SqlHook(self.conn_id).get_records(self.sql, self.parameters))

    def _met(self, records: Sequence[Any]) -> bool:
        if not records:
            if self.fail_on_empty:
                raise BatonFailException(
                    f"sensor '{self.task_id}': the query returned no row and fail_on_empty=True"
                )
            self.log.info("The query returned no row yet")
            return False
        value = self.selector(records[0])
        if self.failure is not None and self.failure(value):
            raise BatonFailException(
                f"sensor '{self.task_id}': failure criteria met for value {value!r}"
            )
        if self.success is not None:
            return bool(self.success(value))
        return bool(value)
