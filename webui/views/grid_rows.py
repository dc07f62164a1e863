"""The grid's rows: tasks in graph order, each task group a row with its tasks nested under it.

A group's row shows, per run, its tasks' overall state (``group_state``); a collapsed group
hides its tasks' rows.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from scheduler.spec import DagSpec
from webui.charts.graph import cached_shape
from webui.charts.group_layout import GroupTree
from webui.charts.group_state import group_state


@dataclass(frozen=True)
class GridRow:
    kind: str  # "task" or "group"
    node_id: str  # the task_id or the group_id
    label: str  # what the row shows: the id without its group's prefix, or the group's label
    depth: int  # how many groups hold it
    task_ids: tuple[str, ...]  # a group's tasks (nested groups included); a task: itself
    collapsed: bool = False
    tooltip: str = ""


def grid_rows(spec: DagSpec, collapsed: Collection[str] = ()) -> list[GridRow]:
    """The rows, top to bottom: each block's tasks and groups in the graph's reading order."""
    order = cached_shape(spec).unit_order  # the fully expanded graph's order
    tree = GroupTree(spec)
    rows: list[GridRow] = []

    def visit(block: str | None, depth: int) -> None:
        for unit in order.get(block, []):
            if unit in tree.groups:
                info = spec.task_groups[unit]
                folded = unit in collapsed
                rows.append(
                    GridRow(
                        "group",
                        unit,
                        info.label,
                        depth,
                        tuple(tree.tasks_of(unit)),
                        folded,
                        info.tooltip,
                    )
                )
                if not folded:
                    visit(unit, depth + 1)
            else:
                prefix = f"{block}." if block else ""
                label = unit[len(prefix) :] if prefix and unit.startswith(prefix) else unit
                rows.append(GridRow("task", unit, label, depth, (unit,)))

    visit(None, 0)
    return rows


def group_cells(
    rows: list[GridRow], cells: Mapping[tuple[int, str], tuple[str, int]], run_ids: list[int]
) -> dict[tuple[int, str], str]:
    """The state of each group row in each run (runs where none of its tasks exist: left out)."""
    states: dict[tuple[int, str], str] = {}
    for row in rows:
        if row.kind != "group":
            continue
        for run in run_ids:
            found = [cells[(run, t)][0] for t in row.task_ids if (run, t) in cells]
            state = group_state(found)
            if state is not None:
                states[(run, row.node_id)] = state
    return states
