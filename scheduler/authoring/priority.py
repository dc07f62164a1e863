"""``weight_rule``: each task's effective priority, computed once when the DAG is serialised.

Airflow's rules: ``downstream`` (the default) adds the ``priority_weight`` of every task
below the task, so work that unblocks more work goes first; ``upstream`` adds every task
above it, so runs that are further along finish first; ``absolute`` keeps the task's own
weight. The result is clamped to a 32-bit integer as Airflow does (``db_safe_priority``).
``TaskSpec.priority_weight`` holds it, and dispatch sorts by it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scheduler.errors import DagDefinitionError
from scheduler.weight_rule import WeightRule

if TYPE_CHECKING:
    import networkx as nx  # imported where used: ~100 ms that only graph work needs

if TYPE_CHECKING:
    from scheduler.authoring.baseoperator import BaseOperator
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
    return {task_id: _weight(task, graph) for task_id, task in dag.task_dict.items()}


def effective_weight(task: BaseOperator) -> int:
    """One task's effective weight (Airflow's ``priority_weight_total``)."""
    if not task.has_dag():
        return _clamped(task.priority_weight)
    return _weight(task, task.dag.graph)


def _weight(task: BaseOperator, graph: nx.DiGraph) -> int:
    import networkx as nx

    rule = getattr(task, "weight_rule", WeightRule.DOWNSTREAM)
    if rule == WeightRule.DOWNSTREAM:
        relatives = nx.descendants(graph, task.task_id)
    elif rule == WeightRule.UPSTREAM:
        relatives = nx.ancestors(graph, task.task_id)
    else:
        relatives = set()
    tasks = task.dag.task_dict
    return _clamped(task.priority_weight + sum(tasks[r].priority_weight for r in relatives))


def _clamped(weight: int) -> int:
    return max(DB_SAFE_MINIMUM, min(DB_SAFE_MAXIMUM, weight))
