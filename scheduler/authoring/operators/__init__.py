"""The operators that come with Baton; plugins add more under ``plugins/``."""

from scheduler.authoring.operators.bash import BashOperator
from scheduler.authoring.operators.empty import EmptyOperator
from scheduler.authoring.operators.python import PythonOperator
from scheduler.authoring.operators.trigger_dagrun import TriggerDagRunOperator
from scheduler.authoring.operators.python_virtualenv import (
    ExternalPythonOperator,
    PythonVirtualenvOperator,
)

__all__ = [
    "BashOperator",
    "EmptyOperator",
    "ExternalPythonOperator",
    "PythonOperator",
    "TriggerDagRunOperator",
    "PythonVirtualenvOperator",
]
