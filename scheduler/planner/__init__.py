"""Pure decisions for DAG runs: trigger rules, readiness of a run, mapping, retry delays, sagas.

No I/O and no clock of its own: the engine passes the DAG spec, the task states and ``now``,
and applies what comes back.
"""

from scheduler.planner.compensation import CompensationPlan, compensable, plan_compensation
from scheduler.planner.mapping import MAX_MAP_LENGTH, Lengths, mapped_length, product_indexes
from scheduler.planner.retries import MAX_RETRY_DELAY_S, after_failure, retry_delay
from scheduler.planner.run_index import UNMAPPED, RunIndex, TIKey
from scheduler.planner.run_planner import Expansion, RunPlan, TaskView, Transition, plan_run
from scheduler.planner.trigger_rules import RULES, UpstreamCounts, Verdict, evaluate

__all__ = [
    # readiness of a run
    "Expansion",
    "RunIndex",
    "RunPlan",
    "TIKey",
    "TaskView",
    "Transition",
    "UNMAPPED",
    "plan_run",
    # dynamic task mapping
    "Lengths",
    "MAX_MAP_LENGTH",
    "mapped_length",
    "product_indexes",
    # trigger rules
    "RULES",
    "UpstreamCounts",
    "Verdict",
    "evaluate",
    # sagas
    "CompensationPlan",
    "compensable",
    "plan_compensation",
    # retries
    "MAX_RETRY_DELAY_S",
    "after_failure",
    "retry_delay",
]
