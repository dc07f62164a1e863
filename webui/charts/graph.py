"""The graph view: a DAG drawn left to right as SVG, each task coloured by its state; task
groups as frames around their tasks (or single nodes when collapsed), edge labels on edges.

Each task is a ``<g class="node st-STATE" data-task-id=...>``: the page's script changes
only that class while a run goes, so colours update without redrawing the picture.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

from markupsafe import Markup

from scheduler.spec import DagSpec
from webui.charts.group_layout import NODE_H, NODE_W, Box, GraphShape, GroupTree, graph_shape
from webui.charts.group_state import group_state
from webui.charts.svg import element, group, svg, truncate


def render_graph(
    spec: DagSpec,
    states: Mapping[str, str],
    task_url: Callable[[str], str | None],
    compensations: Mapping[str, str | None] | None = None,
    collapsed: Collection[str] = (),
    toggle_url: Callable[[str], str] | None = None,
    map_counts: Mapping[str, int] | None = None,
    durations: Mapping[str, float | None] | None = None,
    critical_path: Sequence[str] = (),
) -> Markup:
    """The SVG of ``spec``; ``states`` maps task_id to state (missing: no status) and
    ``compensations`` to the phase of its compensation in the run (sagas), if any. A mapped
    task's node shows "[n]", ``map_counts``' number of instances ("[ ]" until expanded), and
    ``states`` should hold their aggregate state. ``durations`` (seconds) show at a node's
    bottom right. The tasks of ``critical_path`` (a running run's longest remaining path,
    ``scheduler/planner/forecast.py``) and the edges between them get ``data-critical``.

    Task groups are frames around their tasks, or single nodes for the groups in
    ``collapsed``; ``toggle_url(group_id)`` is where a click on a group goes (the same page
    with that group collapsed or expanded)."""
    shape = cached_shape(spec, collapsed)
    tree = GroupTree(spec)
    centres = {node: box.centre for node, box in {**shape.nodes, **shape.collapsed}.items()}
    critical = set(itertools.pairwise(critical_path))
    edges = [_edge(a, b, shape.routes[(a, b)], (a, b) in critical) for a, b, _label in shape.edges]
    labels = [_edge_label(shape.routes[(a, b)], text) for a, b, text in shape.edges if text]
    phases = compensations or {}
    marks = {
        task_id: _compensation_mark(task_id, centres[task_id], phases.get(task_id))
        for task_id, task in spec.tasks.items()
        if task.has_compensation and task_id in shape.nodes
    }
    nodes = [
        _node(
            task_id,
            task.operator,
            centres[task_id],
            states,
            task_url,
            marks.get(task_id),
            _short_name(tree, task_id),
            _map_label(task.mapping, (map_counts or {}).get(task_id)),
            (durations or {}).get(task_id),
            task_id in critical_path,
        )
        for task_id, task in spec.tasks.items()
        if task_id in shape.nodes
    ]
    nodes += [
        _group_node(spec, tree, group_id, centres[group_id], states, toggle_url)
        for group_id in shape.collapsed
    ]
    frames = [_frame(spec, group_id, box, toggle_url) for group_id, box in shape.frames.items()]
    return svg(
        shape.width,
        shape.height,
        [
            group(frames, class_="groups"),
            group(edges, class_="edges"),
            group(labels, class_="edge-labels"),
            group(nodes, class_="nodes"),
        ],
        class_="dag-graph",
        aria_label=f"graph of DAG {spec.dag_id}",
    )


_SHAPES: dict[tuple[Any, ...], GraphShape] = {}  # keyed by what the shape depends on


def cached_shape(spec: DagSpec, collapsed: Collection[str] = ()) -> GraphShape:
    """``graph_shape`` of ``spec``, cached: it changes only when the DAG file does."""
    key = (
        spec.dag_id,
        tuple(spec.tasks),
        tuple(sorted(spec.graph.edges)),
        tuple(t.task_group_id for t in spec.tasks.values()),
        tuple((g.group_id, g.parent) for g in spec.task_groups.values()),
        spec.edge_labels,
        frozenset(collapsed),
    )
    shape = _SHAPES.get(key)
    if shape is None:
        if len(_SHAPES) >= 256:
            _SHAPES.clear()
        shape = _SHAPES[key] = graph_shape(spec, collapsed)
    return shape


def _frame(
    spec: DagSpec, group_id: str, box: Box, toggle_url: Callable[[str], str] | None
) -> Markup:
    """An expanded group: a frame in the group's colour, its label a link that collapses it."""
    info = spec.task_groups[group_id]
    label = element(
        "text",
        {"x": box.x + 10, "y": box.y + 17, "class_": "group-label", "fill": info.ui_fgcolor},
        element("title", None, _group_title(info.label, info.tooltip, "collapse")),
        f"▾ {truncate(info.label, max(int(box.w / 8), 8))}",
    )
    toggle = (
        element("a", {"href": toggle_url(group_id), "class_": "group-toggle"}, label)
        if toggle_url
        else label
    )
    rect = element(
        "rect",
        {
            "x": box.x,
            "y": box.y,
            "width": box.w,
            "height": box.h,
            "rx": 8,
            "class_": "frame",
            "stroke": info.ui_color,
            "fill": info.ui_color,
        },
    )
    return element("g", {"class_": "group", "data_group_id": group_id}, rect, toggle)


def _group_node(
    spec: DagSpec,
    tree: GroupTree,
    group_id: str,
    centre: tuple[float, float],
    states: Mapping[str, str],
    toggle_url: Callable[[str], str] | None,
) -> Markup:
    """A collapsed group: one node showing its tasks' overall state; a click expands it."""
    info = spec.task_groups[group_id]
    task_ids = tree.tasks_of(group_id)
    state = group_state(states.get(t) for t in task_ids) or "none"
    x, y = centre[0] - NODE_W / 2, centre[1] - NODE_H / 2
    count = f"▸ {len(task_ids)} task{'' if len(task_ids) == 1 else 's'}"
    band = {"x": x + 7, "y": y + NODE_H - 5, "width": NODE_W - 9, "height": 4}
    body = [
        element("title", None, _group_title(info.label, info.tooltip, "expand") + f": {state}"),
        element(
            "rect",
            {"x": x, "y": y, "width": NODE_W, "height": NODE_H, "rx": 6, "class_": "box"},
        ),
        element(
            "rect",
            {"x": x, "y": y, "width": 7, "height": NODE_H, "rx": 3, "class_": "stripe"},
        ),
        # The group's colour as a band along the bottom (Airflow fills a group node with it).
        element("rect", {**band, "fill": info.ui_color, "class_": "band"}),
        element("text", {"x": x + 16, "y": y + 19, "class_": "name"}, truncate(info.label, 22)),
        element("text", {"x": x + 16, "y": y + 35, "class_": "op"}, count),
    ]
    inner = (
        element("a", {"href": toggle_url(group_id)}, *body) if toggle_url else Markup("").join(body)
    )
    attrs = {"class_": f"node group-node st-{state}", "data_group_id": group_id}
    return element("g", {**attrs, "data_group_tasks": " ".join(task_ids)}, inner)


def _short_name(tree: GroupTree, task_id: str) -> str:
    """Inside its group's frame a task shows its id without the group's prefix (Airflow's
    label); the tooltip keeps the full id."""
    group = tree.parent(task_id)
    prefix = f"{group}." if group else ""
    return task_id[len(prefix) :] if prefix and task_id.startswith(prefix) else task_id


def _group_title(label: str, tooltip: str, action: str) -> str:
    text = f"{label} — {tooltip}" if tooltip else label
    return f"{text} (task group; click to {action})"


def _edge_label(points: list[tuple[float, float]], text: str) -> Markup:
    """An edge's label on its first gap between columns (it is free there: no node)."""
    (x1, y1), (x2, y2) = _first_gap(points)
    x, y = (x1 + x2) / 2, (y1 + y2) / 2 - 4
    attrs = {"x": x, "y": y, "text_anchor": "middle", "class_": "edge-label"}
    return element("text", attrs, element("title", None, text), truncate(text, 24))


def _first_gap(points: list[tuple[float, float]]) -> tuple[tuple[float, float], ...]:
    pairs = list(itertools.pairwise(points))
    return max(pairs[:2], key=lambda pair: pair[1][0] - pair[0][0]) if pairs else (points[0],) * 2


def edge_path(points: list[tuple[float, float]]) -> str:
    """SVG path data through ``points``: lines where the height stays, an S-curve where it
    changes (only in the gaps between columns; the curve stays between its two x's)."""
    (x0, y0), *rest = points
    parts = [f"M{x0:.1f},{y0:.1f}"]
    for (xa, ya), (xb, yb) in zip(points, rest, strict=False):
        if abs(ya - yb) < 0.5:
            parts.append(f"L{xb:.1f},{yb:.1f}")
        else:
            mid = (xa + xb) / 2
            parts.append(f"C{mid:.1f},{ya:.1f} {mid:.1f},{yb:.1f} {xb:.1f},{yb:.1f}")
    return " ".join(parts)


def _edge(up: str, down: str, points: list[tuple[float, float]], critical: bool = False) -> Markup:
    x2, y2 = points[-1]
    arrow = f"M{x2 - 7:.1f},{y2 - 4:.1f} L{x2:.1f},{y2:.1f} L{x2 - 7:.1f},{y2 + 4:.1f}"
    attrs = {"d": edge_path(points) + " " + arrow, "class_": "edge"}
    mark = {"data_critical": "true"} if critical else {}
    return element("path", {**attrs, "data_from": up, "data_to": down, **mark})


def _compensation_mark(task_id: str, centre: tuple[float, float], phase: str | None) -> Markup:
    """ "↺" at the node's bottom right: the task can be undone (it has ``compensate=``);
    with the selected run's compensation phase beside it once its compensation started.
    The graph's script updates the text while the run goes (``data-compensation``)."""
    x, y = centre[0] + NODE_W / 2 - 8, centre[1] - NODE_H / 2 + 35
    text = f"↺ {phase.replace('_', ' ')}" if phase else "↺"
    label = f"{task_id} has a compensation" + (f": {phase}" if phase else "")
    return element(
        "text",
        {"x": x, "y": y, "text_anchor": "end", "class_": "comp", "data_compensation": phase},
        element("title", None, label),
        text,
    )


def format_duration(seconds: float | None) -> str:
    """ "0.4s", "12s", "3m 05s", "2h 01m": what a node and a grid bar show."""
    if seconds is None:
        return ""
    if seconds < 10:
        return f"{seconds:.1f}s"
    whole = round(seconds)
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m {whole % 60:02d}s"
    return f"{whole // 3600}h {whole % 3600 // 60:02d}m"


def _map_label(mapping: object, count: int | None) -> str | None:
    """ "[n]" on a mapped task's node (Airflow's label), "[ ]" before it is expanded."""
    if mapping is None:
        return None
    return f"[{count}]" if count is not None else "[ ]"


def _node(
    task_id: str,
    operator: str,
    centre: tuple[float, float],
    states: Mapping[str, str],
    task_url: Callable[[str], str | None],
    mark: Markup | None = None,
    name: str | None = None,
    map_label: str | None = None,
    duration: float | None = None,
    critical: bool = False,
) -> Markup:
    state = states.get(task_id, "none")
    x, y = centre[0] - NODE_W / 2, centre[1] - NODE_H / 2
    mapped = f", mapped {map_label}" if map_label else ""
    body = [
        element("title", None, f"{task_id} ({operator}{mapped}): {state}"),
        element(
            "rect", {"x": x, "y": y, "width": NODE_W, "height": NODE_H, "rx": 6, "class_": "box"}
        ),
        element(
            "rect", {"x": x, "y": y, "width": 7, "height": NODE_H, "rx": 3, "class_": "stripe"}
        ),
        element(
            "text",
            {"x": x + 16, "y": y + 19, "class_": "name"},
            truncate(name or task_id, 22 if map_label is None else 15),
        ),
        element(
            "text",
            {"x": x + 16, "y": y + 35, "class_": "op"},
            truncate(operator, 18 if mark is None else 13),
        ),
    ]
    if critical:  # a ring around the box: the page's script rewrites the node's class
        ring = {"x": x - 3, "y": y - 3, "width": NODE_W + 6, "height": NODE_H + 6, "rx": 8}
        body.append(element("rect", {**ring, "class_": "critical", "data_critical": "true"}))
    if mark is not None:
        body.append(mark)
    else:  # the graph's script fills it in while the run goes
        place = {"x": x + NODE_W - 8, "y": y + 35, "text_anchor": "end", "class_": "dur"}
        body.append(element("text", place, format_duration(duration)))
    if map_label is not None:
        count = {"x": x + NODE_W - 8, "y": y + 19, "text_anchor": "end", "class_": "map-count"}
        body.append(element("text", count, map_label))
    url = task_url(task_id)
    inner = element("a", {"href": url}, *body) if url else Markup("").join(body)
    return element("g", {"class_": f"node st-{state}", "data_task_id": task_id}, inner)
