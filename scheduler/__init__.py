"""Baton: the public authoring API for DAG files.

from scheduler import DAG, dag, task, BaseOperator, PythonOperator, BashOperator, chain
"""

from scheduler.authoring import (
    DAG,
    BaseOperator,
    BashOperator,
    EmptyOperator,
    Param,
    PythonOperator,
    TriggerRule,
    XComArg,
    chain,
    cross_downstream,
    dag,
    task,
)
from scheduler.errors import (
    BatonError,
    BatonFailException,
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
    # dependencies
    "chain",
    "cross_downstream",
    "TriggerRule",
    # parameters
    "Param",
    # exceptions a task may raise, and the base of Baton's own
    "BatonError",
    "BatonFailException",
    "BatonSkipException",
    "BatonTaskTimeout",
]
