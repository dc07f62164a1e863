"""Edge labels: ``a >> Label("no stock") >> b`` (Airflow's ``EdgeModifier`` and ``Label``).

A label stands between two sides of a dependency and waits until it has both: then every
node on its upstream side is set upstream of every node on its downstream side, and each edge
this creates records the label in ``dag.edge_info`` (drawn on the graph view's edges). As in
Airflow, when the two sides lie in different task groups, a side inside a group is replaced by
its group, so ``inner_task >> Label("x") >> outside`` links the group's leaves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scheduler.authoring.dependencies import DependencyMixin, nodes_of
from scheduler.authoring.location import caller_location
from scheduler.authoring.xcom_arg import XComArg
from scheduler.errors import DagDefinitionError

if TYPE_CHECKING:
    from scheduler.authoring.baseoperator import BaseOperator
    from scheduler.authoring.dag import DAG


class EdgeModifier(DependencyMixin):
    """Information for the edges made through it; ``Label(text)`` is the usual spelling."""

    def __init__(self, label: str | None = None) -> None:
        if label is not None and not isinstance(label, str):
            raise DagDefinitionError(
                f"Label({label!r}): an edge label is a string, e.g. Label('no stock')",
                location=caller_location(),
            )
        self.label = label
        self._upstream: list[DependencyMixin] = []
        self._downstream: list[DependencyMixin] = []

    # A label has no operators of its own: whatever is linked to it waits for the other side.
    def dependency_operators(self) -> list[BaseOperator]:
        return []

    @property
    def roots(self) -> list[BaseOperator]:
        return [op for node in self._downstream for op in node.roots]

    @property
    def leaves(self) -> list[BaseOperator]:
        return [op for node in self._upstream for op in node.leaves]

    def set_upstream(self, other: Any, edge_modifier: Any = None) -> None:
        self._save(other, self._upstream)
        for node in self._downstream:
            node.set_upstream(other, edge_modifier=self)

    def set_downstream(self, other: Any, edge_modifier: Any = None) -> None:
        self._save(other, self._downstream)
        for node in self._upstream:
            node.set_downstream(other, edge_modifier=self)

    def update_relative(self, other: Any, upstream: bool, edge_modifier: Any = None) -> None:
        """``other >> label`` (or ``label << other``) records ``other`` on that side."""
        if upstream:
            self.set_upstream(other)
        else:
            self.set_downstream(other)

    def add_edge_info(self, dag: DAG, upstream_id: str, downstream_id: str) -> None:
        dag.set_edge_info(upstream_id, downstream_id, {"label": self.label})

    def _save(self, nodes: Any, stream: list[DependencyMixin]) -> None:
        location = caller_location()
        for node in nodes_of(nodes, location):
            if isinstance(node, EdgeModifier):
                raise DagDefinitionError(
                    "two edge labels cannot follow each other; put a task or a task group "
                    "between them",
                    location=location,
                )
            stream.append(node)
        if self._upstream and self._downstream:
            self._use_groups_across_groups()

    def _use_groups_across_groups(self) -> None:
        """Airflow: unless every node on both sides is in one task group, a node inside a
        (non-root) group stands for its group."""
        groups = {_group_key(node) for node in (*self._upstream, *self._downstream)}
        if len(groups) != 1:
            self._upstream = [_as_group(node) for node in self._upstream]
            self._downstream = [_as_group(node) for node in self._downstream]

    def __repr__(self) -> str:
        return f"Label({self.label!r})"


def Label(label: str) -> EdgeModifier:
    """An edge label: ``a >> Label("no stock") >> b`` draws "no stock" on the edge a → b."""
    return EdgeModifier(label)


def _task_group_of(node: Any) -> Any:
    operator = node.operator if isinstance(node, XComArg) else node
    return getattr(operator, "task_group", None) if hasattr(operator, "task_id") else None


def _group_key(node: Any) -> str | None:
    if hasattr(node, "group_id") and not hasattr(node, "task_id"):  # a TaskGroup
        return node.group_id
    group = _task_group_of(node)
    return None if group is None or group.is_root else group.group_id


def _as_group(node: Any) -> Any:
    group = _task_group_of(node)
    return group if group is not None and not group.is_root else node
