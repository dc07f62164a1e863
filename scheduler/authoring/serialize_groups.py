"""Task groups and edge labels of a ``DAG``, in the plain form ``DagSpec`` keeps for the UI."""

from __future__ import annotations

from scheduler.authoring.baseoperator import BaseOperator
from scheduler.authoring.dag import DAG
from scheduler.authoring.taskgroup import TaskGroup
from scheduler.spec import TaskGroupSpec


def task_group_specs(dag: DAG) -> dict[str, TaskGroupSpec]:
    """Every non-root group by full group_id, parents before children; children in
    declaration order (tasks no longer in the DAG, e.g. compensations, left out)."""
    specs: dict[str, TaskGroupSpec] = {}

    def visit(group: TaskGroup) -> None:
        for child in group.children.values():
            if isinstance(child, TaskGroup):
                assert child.group_id is not None
                parent = None if group.is_root else group.group_id
                specs[child.group_id] = TaskGroupSpec(
                    group_id=child.group_id,
                    parent=parent,
                    children=tuple(
                        key
                        for key, node in child.children.items()
                        if isinstance(node, TaskGroup) or key in dag.task_dict
                    ),
                    label=child.label or child.group_id,
                    tooltip=child.tooltip,
                    ui_color=child.ui_color,
                    ui_fgcolor=child.ui_fgcolor,
                )
                visit(child)

    visit(dag.task_group)
    return specs


def task_group_id(task: BaseOperator) -> str | None:
    """The full id of the innermost group holding ``task``; None for the root group."""
    group = task.task_group
    return None if group is None or group.is_root else group.group_id


def edge_labels(dag: DAG) -> tuple[tuple[str, str, str], ...]:
    """``(upstream, downstream, label)`` of each labelled edge still in the DAG, in
    declaration order of the upstream task."""
    labels = []
    for up, downs in dag.edge_info.items():
        task = dag.task_dict.get(up)
        for down, info in downs.items():
            label = info.get("label")
            if task is not None and down in task.downstream_task_ids and label is not None:
                labels.append((up, down, str(label)))
    order = {task_id: i for i, task_id in enumerate(dag.task_dict)}
    return tuple(sorted(labels, key=lambda edge: (order[edge[0]], order.get(edge[1], 0))))
