"""``SQLExecuteQueryOperator``: run SQL as a task (Airflow's common.sql operator).

    SQLExecuteQueryOperator(
        task_id="load",
        conn_id="warehouse",
        sql="sql/load_day.sql",                      # a template file next to the DAG
        parameters={"day": "{{ ds }}"},              # bound as :day
    )

The rows of the last statement (every statement's with ``return_last=False``) are the XCom,
as JSON lists — or dicts keyed by column with ``output_format="dict"``. XCom is for small
results: past ``max_xcom_rows`` rows the try fails and says how to raise the bound.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from plugins.sql.hook import Handler, ResultCursor, SqlHook
from plugins.sql.statements import json_rows, json_value
from scheduler import BaseOperator
from scheduler.errors import DagDefinitionError, TaskExecutionError

_FORMATS = ("list", "dict")


class SQLExecuteQueryOperator(BaseOperator):
    """Run ``sql`` on ``conn_id``'s database; see the module docstring."""

    template_fields: Sequence[str] = ("sql", "parameters")
    template_ext: Sequence[str] = (".sql",)
    ui_color = "#cdaaed"

    def __init__(
        self,
        *,
        sql: str | Sequence[str],
        conn_id: str = SqlHook.default_conn_name,
        parameters: Mapping[str, Any] | None = None,
        autocommit: bool = False,
        handler: Handler | None = None,
        split_statements: bool = False,
        return_last: bool = True,
        output_format: str = "list",
        max_xcom_rows: int = 1000,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if output_format not in _FORMATS:
            raise DagDefinitionError(
                f"task '{self.task_id}': output_format={output_format!r} must be 'list' "
                "(rows as JSON lists) or 'dict' (rows keyed by column)",
                location=self.location,
            )
        self.sql = sql
        self.conn_id = conn_id
        self.parameters = parameters
        self.autocommit = autocommit
        self.handler = handler
        self.split_statements = split_statements
        self.return_last = return_last
        self.output_format = output_format
        self.max_xcom_rows = max_xcom_rows

    def get_db_hook(self) -> SqlHook:
        return SqlHook(self.conn_id)

    def execute(self, context: Mapping[str, Any]) -> Any:
        handler = self._custom if self.handler else self._rows if self.do_xcom_push else None
        return self.get_db_hook().run(
            self.sql,
            autocommit=self.autocommit,
            parameters=self.parameters,
            handler=handler,
            split_statements=self.split_statements,
            return_last=self.return_last,
        )

    def _rows(self, cursor: ResultCursor) -> list[Any] | None:
        """The statement's rows as JSON, reading one past the bound to detect an overflow."""
        if cursor.description is None:
            return None
        rows = self._bounded(cursor.fetchmany(self.max_xcom_rows + 1))
        return json_rows(rows, cursor.columns, as_dicts=self.output_format == "dict")

    def _custom(self, cursor: ResultCursor) -> Any:
        """The user's handler, its result made JSON (tuples, decimals, dates) and bounded."""
        assert self.handler is not None
        result = json_value(self.handler(cursor))
        return self._bounded(result) if isinstance(result, list) else result

    def _bounded(self, rows: list[Any]) -> list[Any]:
        if len(rows) > self.max_xcom_rows:
            raise TaskExecutionError(
                f"task '{self.task_id}': the query returned more than max_xcom_rows="
                f"{self.max_xcom_rows} rows, too many for XCom; add a LIMIT or an aggregate, "
                "raise max_xcom_rows on the operator, or set do_xcom_push=False"
            )
        return rows
