"""The authoring API: what DAG files import (re-exported by ``scheduler``)."""

from scheduler.authoring.assets import Asset, AssetAlias, AssetAll, AssetAny, AssetWatcher
from scheduler.authoring.baseoperator import BaseOperator
from scheduler.authoring.current_context import Context, get_current_context
from scheduler.authoring.dag import DAG
from scheduler.authoring.deadline import (
    AsyncCallback,
    DeadlineAlert,
    DeadlineReference,
    SyncCallback,
)
from scheduler.authoring.dependencies import chain, chain_linear, cross_downstream
from scheduler.authoring.edges import EdgeModifier, Label
from scheduler.authoring.external_task import ExternalTaskMarker, ExternalTaskSensor
from scheduler.authoring.operators import (
    BaseBranchOperator,
    BashOperator,
    BranchDateTimeOperator,
    BranchDayOfWeekOperator,
    BranchPythonOperator,
    EmptyOperator,
    LatestOnlyOperator,
    PythonOperator,
    ShortCircuitOperator,
    TriggerDagRunOperator,
    WeekDay,
)
from scheduler.authoring.operators.python_env_branch import (
    BranchExternalPythonOperator,
    BranchPythonVirtualenvOperator,
)
from scheduler.authoring.operators.python_virtualenv import (
    ExternalPythonOperator,
    PythonVirtualenvOperator,
)
from scheduler.authoring.params import DagParam, Param, ParamsDict, merge_params
from scheduler.authoring.sensors import BaseSensorOperator, PokeReturnValue
from scheduler.authoring.serialize import serialize_dag
from scheduler.authoring.setup_teardown_decorators import setup, teardown
from scheduler.authoring.skipmixin import SkipMixin
from scheduler.authoring.task_decorator import task
from scheduler.authoring.task_group_decorator import task_group
from scheduler.authoring.taskflow import dag
from scheduler.authoring.taskgroup import TaskGroup
from scheduler.authoring.xcom_arg import XComArg, resolve_xcom_args
from scheduler.errors import BatonFailException, BatonSkipException
from scheduler.trigger_rule import TriggerRule
from scheduler.weight_rule import WeightRule

__all__ = [
    # assets
    "Asset",
    "AssetAlias",
    "AssetAll",
    "AssetAny",
    "AssetWatcher",
    # DAGs and tasks
    "DAG",
    "dag",
    "task",
    "chain",
    "cross_downstream",
    "chain_linear",
    "XComArg",
    "get_current_context",
    "Context",
    "TriggerRule",
    "WeightRule",
    # deadline alerts
    "DeadlineAlert",
    "DeadlineReference",
    "AsyncCallback",
    "SyncCallback",
    # setup and teardown
    "setup",
    "teardown",
    # task groups and edge labels
    "TaskGroup",
    "task_group",
    "Label",
    "EdgeModifier",
    # operators
    "BaseOperator",
    "BashOperator",
    "EmptyOperator",
    "PythonOperator",
    "PythonVirtualenvOperator",
    "ExternalPythonOperator",
    # branching and short circuits
    "SkipMixin",
    "BaseBranchOperator",
    "BranchPythonOperator",
    "BranchDateTimeOperator",
    "BranchDayOfWeekOperator",
    "BranchPythonVirtualenvOperator",
    "BranchExternalPythonOperator",
    "WeekDay",
    "ShortCircuitOperator",
    "LatestOnlyOperator",
    # sensors
    "BaseSensorOperator",
    "PokeReturnValue",
    # cross-DAG dependencies
    "TriggerDagRunOperator",
    "ExternalTaskSensor",
    "ExternalTaskMarker",
    # params
    "Param",
    "ParamsDict",
    "merge_params",
    # for the loader and the runner
    "serialize_dag",
    "resolve_xcom_args",
    "DagParam",
    # exceptions a task may raise
    "BatonFailException",
    "BatonSkipException",
]
