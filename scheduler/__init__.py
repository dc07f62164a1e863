"""Baton: the public authoring API for DAG files.

from scheduler import DAG, dag, task, BaseOperator, PythonOperator, BashOperator, chain

Importing this package stays light (no database layer): a DAG file must import fast and
without a database. Connections, variables, hooks and plugin classes, which need the Store,
are loaded on first use (``from scheduler import BaseHook`` still works).
"""

import importlib
from typing import Any

from scheduler.authoring import (
    DAG,
    BaseOperator,
    BaseSensorOperator,
    BashOperator,
    EdgeModifier,
    EmptyOperator,
    Label,
    Param,
    PokeReturnValue,
    PythonOperator,
    TaskGroup,
    TriggerRule,
    XComArg,
    chain,
    cross_downstream,
    dag,
    task,
    task_group,
)
from scheduler.errors import (
    BatonError,
    BatonFailException,
    BatonSensorTimeout,
    BatonSkipException,
    BatonTaskTimeout,
)

__all__ = [
    # DAGs
    "DAG",
    "dag",
    # operators and tasks
    "BaseOperator",
    "BashOperator",
    "EmptyOperator",
    "PythonOperator",
    "task",
    "XComArg",
    # sensors
    "BaseSensorOperator",
    "PokeReturnValue",
    # dependencies
    "chain",
    "cross_downstream",
    "TriggerRule",
    # task groups and edge labels
    "TaskGroup",
    "task_group",
    "Label",
    "EdgeModifier",
    # parameters
    "Param",
    # connections, variables and hooks (plugins build on these)
    "BaseHook",
    "Connection",
    "Variable",
    # plugins
    "BatonPlugin",
    "MenuLink",
    # exceptions a task may raise, and the base of Baton's own
    "BatonError",
    "BatonFailException",
    "BatonSensorTimeout",
    "BatonSkipException",
    "BatonTaskTimeout",
]


# Names whose modules pull in the Store (SQLAlchemy, cryptography): imported on first access.
_LAZY = {
    "BaseHook": "scheduler.connections",
    "Connection": "scheduler.connections",
    "Variable": "scheduler.connections",
    "BatonPlugin": "scheduler.plugins",
    "MenuLink": "scheduler.plugins",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'scheduler' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
