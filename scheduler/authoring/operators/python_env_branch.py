"""Branching from another interpreter: ``BranchPythonVirtualenvOperator`` and
``BranchExternalPythonOperator`` (Airflow's names and meanings).

The function runs as in ``PythonVirtualenvOperator`` / ``ExternalPythonOperator`` and returns
what a ``BranchPythonOperator``'s returns: the task id(s) or task group id(s) to follow among
the direct downstream tasks, or None to skip them all.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from scheduler.authoring.operators.branch import BaseBranchOperator, BranchChoice
from scheduler.authoring.operators.python_virtualenv import (
    ExternalPythonOperator,
    PythonVirtualenvOperator,
)


class BranchPythonVirtualenvOperator(BaseBranchOperator, PythonVirtualenvOperator):
    """A branch chosen by a function run in a cached virtualenv."""

    def choose_branch(self, context: Mapping[str, Any]) -> BranchChoice:
        return PythonVirtualenvOperator.execute(self, context)


class BranchExternalPythonOperator(BaseBranchOperator, ExternalPythonOperator):
    """A branch chosen by a function run in an existing interpreter, ``python``."""

    def choose_branch(self, context: Mapping[str, Any]) -> BranchChoice:
        return ExternalPythonOperator.execute(self, context)
