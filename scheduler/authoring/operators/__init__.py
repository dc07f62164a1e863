"""The operators that come with Baton; plugins add more under ``plugins/``."""

from scheduler.authoring.operators.bash import BashOperator
from scheduler.authoring.operators.branch import BaseBranchOperator, BranchPythonOperator
from scheduler.authoring.operators.datetime_branch import BranchDateTimeOperator
from scheduler.authoring.operators.empty import EmptyOperator
from scheduler.authoring.operators.latest_only import LatestOnlyOperator
from scheduler.authoring.operators.python import PythonOperator
from scheduler.authoring.operators.python_env_branch import (
    BranchExternalPythonOperator,
    BranchPythonVirtualenvOperator,
)
from scheduler.authoring.operators.python_virtualenv import (
    ExternalPythonOperator,
    PythonVirtualenvOperator,
)
from scheduler.authoring.operators.short_circuit import ShortCircuitOperator
from scheduler.authoring.operators.trigger_dagrun import TriggerDagRunOperator
from scheduler.authoring.operators.weekday import BranchDayOfWeekOperator, WeekDay

__all__ = [
    "BashOperator",
    "EmptyOperator",
    "ExternalPythonOperator",
    "PythonOperator",
    "PythonVirtualenvOperator",
    "TriggerDagRunOperator",
    # branching and short circuits
    "BaseBranchOperator",
    "BranchPythonOperator",
    "BranchDateTimeOperator",
    "BranchDayOfWeekOperator",
    "BranchPythonVirtualenvOperator",
    "BranchExternalPythonOperator",
    "WeekDay",
    "ShortCircuitOperator",
    "LatestOnlyOperator",
]
