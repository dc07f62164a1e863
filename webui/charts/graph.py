"""The graph view: a DAG drawn left to right as SVG, each task coloured by its state.

Each task is a ``<g class="node st-STATE" data-task-id=...>``: the page's script changes
only that class while a run goes, so colours update without redrawing the picture.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache

import networkx as nx
from markupsafe import Markup

from scheduler.spec import DagSpec
from webui.charts.graph_layout import Layout, layout
from webui.charts.svg import element, group, svg, truncate

NODE_W, NODE_H = 176, 44
GAP_X, GAP_Y = 52, 16
PAD = 12


@lru_cache(maxsize=256)
def _cached_layout(edges: tuple[tuple[str, str], ...], order: tuple[str, ...]) -> Layout:
    graph = nx.DiGraph()
    graph.add_nodes_from(order)
    graph.add_edges_from(edges)
    return layout(graph, order)


def dag_layout(spec: DagSpec) -> Layout:
    """The layout of ``spec`` (cached: it changes only when the DAG file does)."""
    return _cached_layout(tuple(sorted(spec.graph.edges)), tuple(spec.tasks))


def render_graph(
    spec: DagSpec,
    states: Mapping[str, str],
    task_url: Callable[[str], str | None],
    compensations: Mapping[str, str | None] | None = None,
) -> Markup:
    """The SVG of ``spec``; ``states`` maps task_id to state (missing: no status) and
    ``compensations`` to the phase of its compensation in the run (sagas), if any."""
    shape = dag_layout(spec)
    tallest = max((len(nodes) for nodes in shape.layers), default=1)
    height = PAD * 2 + tallest * NODE_H + (tallest - 1) * GAP_Y
    width = PAD * 2 + len(shape.layers) * NODE_W + max(len(shape.layers) - 1, 0) * GAP_X
    centres = _centres(shape, height)
    edges = [_edge(centres[a], centres[b]) for a, b in sorted(spec.graph.edges)]
    phases = compensations or {}
    marks = {
        task_id: _compensation_mark(task_id, centres[task_id], phases.get(task_id))
        for task_id, task in spec.tasks.items()
        if task.has_compensation
    }
    nodes = [
        _node(task_id, task.operator, centres[task_id], states, task_url, marks.get(task_id))
        for task_id, task in spec.tasks.items()
    ]
    return svg(
        width,
        height,
        [group(edges, class_="edges"), group(nodes, class_="nodes")],
        class_="dag-graph",
        aria_label=f"graph of DAG {spec.dag_id}",
    )


def _centres(shape: Layout, height: float) -> dict[str, tuple[float, float]]:
    """Centre of every node: layers side by side, each layer centred vertically."""
    centres = {}
    for li, nodes in enumerate(shape.layers):
        column = len(nodes) * NODE_H + (len(nodes) - 1) * GAP_Y
        top = (height - column) / 2
        for i, node in enumerate(nodes):
            x = PAD + li * (NODE_W + GAP_X) + NODE_W / 2
            centres[node] = (x, top + i * (NODE_H + GAP_Y) + NODE_H / 2)
    return centres


def _edge(start: tuple[float, float], end: tuple[float, float]) -> Markup:
    x1, y1 = start[0] + NODE_W / 2, start[1]
    x2, y2 = end[0] - NODE_W / 2, end[1]
    bend = (x2 - x1) / 2
    path = (
        f"M{x1:.1f},{y1:.1f} C{x1 + bend:.1f},{y1:.1f} {x2 - bend:.1f},{y2:.1f} {x2:.1f},{y2:.1f}"
    )
    arrow = f"M{x2 - 7:.1f},{y2 - 4:.1f} L{x2:.1f},{y2:.1f} L{x2 - 7:.1f},{y2 + 4:.1f}"
    return element("path", {"d": path + " " + arrow, "class_": "edge"})


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


def _node(
    task_id: str,
    operator: str,
    centre: tuple[float, float],
    states: Mapping[str, str],
    task_url: Callable[[str], str | None],
    mark: Markup | None = None,
) -> Markup:
    state = states.get(task_id, "none")
    x, y = centre[0] - NODE_W / 2, centre[1] - NODE_H / 2
    body = [
        element("title", None, f"{task_id} ({operator}): {state}"),
        element(
            "rect", {"x": x, "y": y, "width": NODE_W, "height": NODE_H, "rx": 6, "class_": "box"}
        ),
        element(
            "rect", {"x": x, "y": y, "width": 7, "height": NODE_H, "rx": 3, "class_": "stripe"}
        ),
        element("text", {"x": x + 16, "y": y + 19, "class_": "name"}, truncate(task_id, 22)),
        element(
            "text",
            {"x": x + 16, "y": y + 35, "class_": "op"},
            truncate(operator, 28 if mark is None else 13),
        ),
    ]
    if mark is not None:
        body.append(mark)
    url = task_url(task_id)
    inner = element("a", {"href": url}, *body) if url else Markup("").join(body)
    return element("g", {"class_": f"node st-{state}", "data_task_id": task_id}, inner)
