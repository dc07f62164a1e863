"""``weight_rule``: each task's effective priority, computed once when the DAG is serialised.

Airflow's rules: ``downstream`` (the default) adds the ``priority_weight`` of every task
below the task, so work that unblocks more work goes first; ``upstream`` adds every task
above it, so runs that are further along finish first; ``absolute`` keeps the task's own
weight. The result is clamped to a 32-bit integer as Airflow does (``db_safe_priority``).
``TaskSpec.priority_weight`` holds it, and dispatch sorts by it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import networkx as nx

from scheduler.errors import DagDefinitionError
from scheduler.weight_rule import WeightRule

if TYPE_CHECKING:
    from scheduler.authoring.dag import DAG

DB_SAFE_MINIMUM = -(2**31)
DB_SAFE_MAXIMUM = 2**31 - 1


def to_weight_rule(value: Any, where: str, location: str | None) -> WeightRule:
    """A ``WeightRule`` from the enum or its name; anything else is refused by name."""
    try:
        return WeightRule(value)
    except ValueError:
        pass
    if isinstance(value, str):
        hint = "use one of: " + ", ".join(WeightRule.names())
    else:  # Airflow 3 also takes a PriorityWeightStrategy object
        hint = (
            "custom priority weight strategies are not supported in Baton; use one of: "
            + ", ".join(WeightRule.names())
        )
    raise DagDefinitionError(
        f"{where}: weight_rule={value!r} is not a weight rule; {hint}", location=location
    )


def effective_weights(dag: DAG) -> dict[str, int]:
    """``task_id -> effective priority weight`` for every task of ``dag``."""
    graph = dag.graph
    own = {t.task_id: t.priority_weight for t in dag.task_dict.values()}
    weights = {}
    for task_id, task in dag.task_dict.items():
        rule = getattr(task, "weight_rule", WeightRule.DOWNSTREAM)
        if rule == WeightRule.DOWNSTREAM:
            relatives = nx.descendants(graph, task_id)
        elif rule == WeightRule.UPSTREAM:
            relatives = nx.ancestors(graph, task_id)
        else:
            relatives = set()
        total = own[task_id] + sum(own[r] for r in relatives)
        weights[task_id] = max(DB_SAFE_MINIMUM, min(DB_SAFE_MAXIMUM, total))
    return weights
