"""Connections, variables and hooks: how tasks reach the outside world (Airflow's names).

    from scheduler import BaseHook, Connection, Variable
    conn = BaseHook.get_connection("my_api")       # BATON_CONN_MY_API, else the database
    region = Variable.get("region", default="eu")  # BATON_VAR_REGION, else the database

Secrets (passwords, sensitive extra fields and variables) are encrypted at rest with Fernet
and masked (``***``) in task logs once read.
"""

from scheduler.connections.accessors import ConnectionAccessor, VariableAccessor
from scheduler.connections.connection import Connection
from scheduler.connections.hook import BaseHook
from scheduler.connections.lookup import get_connection, get_variable
from scheduler.connections.variable import Variable
from scheduler.errors import ConnectionNotFoundError, VariableNotFoundError

__all__ = [
    # what DAG files and plugins use
    "BaseHook",
    "Connection",
    "Variable",
    "get_connection",
    "get_variable",
    "ConnectionNotFoundError",
    "VariableNotFoundError",
    # the runner's template context
    "ConnectionAccessor",
    "VariableAccessor",
]
