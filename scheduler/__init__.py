"""Baton: the public authoring API for DAG files.

from scheduler import DAG, dag, task, BaseOperator, PythonOperator, BashOperator, chain

Importing this package stays light (no database layer): a DAG file must import fast and
without a database. Connections, variables, hooks and plugin classes, which need the Store,
are loaded on first use (``from scheduler import BaseHook`` still works).
"""

from difflib import get_close_matches
from typing import TYPE_CHECKING

from scheduler.authoring import (
    DAG,
    Asset,
    AssetAlias,
    AssetAll,
    AssetAny,
    AssetWatcher,
    AsyncCallback,
    BaseBranchOperator,
    BaseOperator,
    BaseSensorOperator,
    BashOperator,
    BranchDateTimeOperator,
    BranchDayOfWeekOperator,
    BranchExternalPythonOperator,
    BranchPythonOperator,
    BranchPythonVirtualenvOperator,
    Context,
    DeadlineAlert,
    DeadlineReference,
    EdgeModifier,
    EmptyOperator,
    ExternalPythonOperator,
    ExternalTaskMarker,
    ExternalTaskSensor,
    Label,
    LatestOnlyOperator,
    Param,
    ParamsDict,
    PokeReturnValue,
    PythonOperator,
    PythonVirtualenvOperator,
    ShortCircuitOperator,
    SkipMixin,
    SyncCallback,
    TaskGroup,
    TriggerDagRunOperator,
    TriggerRule,
    WeekDay,
    WeightRule,
    XComArg,
    chain,
    chain_linear,
    cross_downstream,
    dag,
    get_current_context,
    setup,
    task,
    task_group,
    teardown,
)
from scheduler.authoring.airflow_names import missing_name_message
from scheduler.authoring.webhooks import Webhook
from scheduler.errors import (
    AirflowException,
    AirflowFailException,
    AirflowSensorTimeout,
    AirflowSkipException,
    AirflowTaskTimeout,
    BatonError,
    BatonFailException,
    BatonSensorTimeout,
    BatonSkipException,
    BatonTaskTimeout,
    NotSupportedYetError,
)
from scheduler.lazy_exports import lazy_exports
from scheduler.plugins_package import install as _pin_plugins_package
from scheduler.states import RunState as DagRunState  # Airflow's names for the states
from scheduler.states import TaskState as TaskInstanceState

if TYPE_CHECKING:  # the lazy names below, for type checkers (no import at run time)
    from scheduler.api.hitl_trigger import HITLTrigger
    from scheduler.authoring.file_sensor import FileSensor
    from scheduler.authoring.operators.hitl import (
        ApprovalOperator,
        HITLBranchOperator,
        HITLEntryOperator,
        HITLOperator,
    )
    from scheduler.authoring.time_sensors import DateTimeSensor, TimeDeltaSensor
    from scheduler.connections import BaseHook, Connection, Variable
    from scheduler.errors import AirflowRescheduleException, TaskDeferralTimeout
    from scheduler.messaging import MessageQueueTrigger
    from scheduler.notifications import BaseNotifier
    from scheduler.plugins import BatonPlugin, MenuLink
    from scheduler.triggers import (
        BaseEventTrigger,
        BaseTrigger,
        DateTimeTrigger,
        FileTrigger,
        TaskDeferred,
        TimeDeltaTrigger,
        TriggerEvent,
    )

# ``plugins`` is Baton's providers even where the current directory has a plugins/ folder.
_pin_plugins_package()

__all__ = [
    # DAGs
    "DAG",
    "dag",
    "Webhook",
    # deadline alerts (docs/operations.md#deadlines)
    "DeadlineAlert",
    "DeadlineReference",
    "AsyncCallback",
    "SyncCallback",
    # assets (data-aware scheduling)
    "Asset",
    "AssetAlias",
    "AssetAll",
    "AssetAny",
    "AssetWatcher",
    # operators and tasks
    "BaseOperator",
    "BashOperator",
    "EmptyOperator",
    "PythonOperator",
    "PythonVirtualenvOperator",
    "ExternalPythonOperator",
    "task",
    "XComArg",
    "get_current_context",
    "Context",
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
    "TimeDeltaSensor",
    "DateTimeSensor",
    "FileSensor",
    # deferrable tasks (docs/events.md)
    "BaseTrigger",
    "TriggerEvent",
    "TaskDeferred",
    "DateTimeTrigger",
    "TimeDeltaTrigger",
    "FileTrigger",
    "BaseEventTrigger",
    "MessageQueueTrigger",
    # human in the loop (docs/events.md#approvals)
    "HITLOperator",
    "ApprovalOperator",
    "HITLBranchOperator",
    "HITLEntryOperator",
    "HITLTrigger",
    # cross-DAG dependencies
    "TriggerDagRunOperator",
    "ExternalTaskSensor",
    "ExternalTaskMarker",
    "DagRunState",
    "TaskInstanceState",
    # dependencies
    "chain",
    "cross_downstream",
    "chain_linear",
    "TriggerRule",
    "WeightRule",
    # setup and teardown
    "setup",
    "teardown",
    # task groups and edge labels
    "TaskGroup",
    "task_group",
    "Label",
    "EdgeModifier",
    # parameters
    "Param",
    "ParamsDict",
    # connections, variables and hooks (plugins build on these)
    "BaseHook",
    "Connection",
    "Variable",
    # plugins
    "BatonPlugin",
    "MenuLink",
    # notifiers, usable as callbacks (scheduler.notifications has the others)
    "BaseNotifier",
    # exceptions a task may raise, and the base of Baton's own
    "BatonError",
    "BatonFailException",
    "BatonSensorTimeout",
    "BatonSkipException",
    "BatonTaskTimeout",
    # ... under Airflow's names (the same classes)
    "AirflowException",
    "AirflowFailException",
    "AirflowSensorTimeout",
    "AirflowSkipException",
    "AirflowTaskTimeout",
    "AirflowRescheduleException",
    "TaskDeferralTimeout",
]


# Names whose modules pull in the Store (SQLAlchemy, cryptography): imported on first access.
_LAZY = {
    "BaseHook": "scheduler.connections",
    "Connection": "scheduler.connections",
    "Variable": "scheduler.connections",
    "BatonPlugin": "scheduler.plugins",
    "BaseNotifier": "scheduler.notifications",
    "MenuLink": "scheduler.plugins",
    # sensors and triggers, imported when a DAG file names them
    "TimeDeltaSensor": "scheduler.authoring.time_sensors",
    "DateTimeSensor": "scheduler.authoring.time_sensors",
    "FileSensor": "scheduler.authoring.file_sensor",
    "BaseTrigger": "scheduler.triggers",
    "TriggerEvent": "scheduler.triggers",
    "TaskDeferred": "scheduler.triggers",
    "DateTimeTrigger": "scheduler.triggers",
    "TimeDeltaTrigger": "scheduler.triggers",
    "FileTrigger": "scheduler.triggers",
    "BaseEventTrigger": "scheduler.triggers",
    "MessageQueueTrigger": "scheduler.messaging",
    "HITLOperator": "scheduler.authoring.operators.hitl",
    "ApprovalOperator": "scheduler.authoring.operators.hitl",
    "HITLBranchOperator": "scheduler.authoring.operators.hitl",
    "HITLEntryOperator": "scheduler.authoring.operators.hitl",
    "HITLTrigger": "scheduler.api.hitl_trigger",
    "AirflowRescheduleException": "scheduler.errors",
    "TaskDeferralTimeout": "scheduler.errors",
}


def _missing(name: str) -> Exception:
    """An Airflow name Baton lacks is an ImportError that says so (the DAG file's import
    error then names the missing feature); any other name is an AttributeError."""
    message = missing_name_message(name)
    if message is not None:
        return NotSupportedYetError(message)
    close = get_close_matches(name, __all__, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return AttributeError(f"module 'scheduler' has no attribute {name!r}{hint}", name=name)


__getattr__, __dir__ = lazy_exports(globals(), _LAZY, missing=_missing)
