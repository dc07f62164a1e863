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
        selector: Callable[[Sequence[Any]], Any] = itemgetter(0),
        fail_on_empty: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
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

    def poke(self, context: Mapping[str, Any]) -> bool:
        records = SqlHook(self.conn_id).get_records(self.sql, self.parameters)
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
