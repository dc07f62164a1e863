"""``ShortCircuitOperator``: continue only if ``python_callable`` returns something truthy.

    ShortCircuitOperator(task_id="is_weekday", python_callable=lambda ds: ...) >> report

A truthy result lets the pipeline go on and becomes the XCom. A falsy one skips:

- ``ignore_downstream_trigger_rules=True`` (the default): every task downstream of this
  one, at any depth, whatever its trigger rule;
- ``False``: only the direct downstream tasks; the tasks after them follow their own
  trigger rules (an ``all_done`` task still runs).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from scheduler.authoring.operators.python import PythonOperator
from scheduler.authoring.skipmixin import SkipMixin, all_downstream, direct_downstream


class ShortCircuitOperator(PythonOperator, SkipMixin):
    """Skip the downstream tasks when ``python_callable`` returns a falsy value."""

    inherits_from_skipmixin = True
    ui_color = "#f0ede4"

    def __init__(self, *, ignore_downstream_trigger_rules: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.ignore_downstream_trigger_rules = bool(ignore_downstream_trigger_rules)

    def execute(self, context: Mapping[str, Any]) -> Any:
        condition = super().execute(context)
        self.log.info("Condition result is %s", condition)
        if condition:
            self.log.info("Proceeding with downstream tasks...")
            return condition
        to_skip = short_circuit_skips(self, self.ignore_downstream_trigger_rules)
        if not to_skip:
            self.log.info("No downstream tasks; nothing to do.")
            return condition
        self.log.info("Skipping downstream tasks %s", to_skip)
        self.skip(context["ti"], to_skip)
        return condition


def short_circuit_skips(task: Any, ignore_downstream_trigger_rules: bool) -> list[str]:
    """The task ids a falsy short circuit skips: all downstream, or only the direct ones;
    never a teardown (Airflow: it must still clean up after its setup)."""
    ids = all_downstream(task) if ignore_downstream_trigger_rules else direct_downstream(task)
    return [t for t in ids if not getattr(task.dag.task_dict[t], "is_teardown", False)]
