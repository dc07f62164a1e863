"""The SQL provider: ``SqlHook`` (the client), ``SQLExecuteQueryOperator`` and ``SqlSensor``.

from plugins.sql import SQLExecuteQueryOperator, SqlSensor
"""

from plugins.sql.hook import (
    DRIVERS,
    ResultCursor,
    SqlError,
    SqlHook,
    fetch_all_handler,
    fetch_one_handler,
)
from plugins.sql.operators import SQLExecuteQueryOperator
from plugins.sql.sensors import SqlSensor
from plugins.sql.statements import split_sql
from scheduler import BatonPlugin

DbApiHook = SqlHook  # Airflow's name for the generic SQL hook

plugin = BatonPlugin(
    name="sql",
    hooks=[SqlHook],
    operators=[SQLExecuteQueryOperator],
    sensors=[SqlSensor],
    connection_types={conn_type: SqlHook for conn_type in DRIVERS},
)

__all__ = [
    "SqlHook",
    "DbApiHook",
    "SQLExecuteQueryOperator",
    "SqlSensor",
    "ResultCursor",
    "SqlError",
    "fetch_all_handler",
    "fetch_one_handler",
    "split_sql",
    "DRIVERS",
    "plugin",
]
