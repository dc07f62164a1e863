"""The operators that come with Baton; plugins add more under ``plugins/``."""

from scheduler.authoring.operators.bash import BashOperator
from scheduler.authoring.operators.empty import EmptyOperator
from scheduler.authoring.operators.python import PythonOperator

__all__ = ["BashOperator", "EmptyOperator", "PythonOperator"]
