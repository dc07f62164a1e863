"""``EmptyOperator``: a task that does nothing, to group or join branches of a DAG."""

from __future__ import annotations

from typing import Any

from scheduler.authoring.baseoperator import BaseOperator


class EmptyOperator(BaseOperator):
    """Succeeds at once; useful as a start, end or join point (Airflow's EmptyOperator)."""

    ui_color = "#e8f7e4"

    def execute(self, context: dict[str, Any]) -> None:
        return None
