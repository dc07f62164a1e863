"""The DAG dependencies picture: DAGs left to right, an arrow per cross-DAG edge.

DAG links may form cycles (A triggers B, B waits for A); the layout ignores the edges that
would close one, so every drawn edge but those points right, and draws them all.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import networkx as nx
from markupsafe import Markup

from webui.charts.graph_layout import layout
from webui.charts.svg import element, svg, truncate
from webui.queries.dag_dependencies import DagDependency

NODE_W, NODE_H, GAP_X, GAP_Y, MARGIN = 180.0, 40.0, 110.0, 24.0, 16.0


def render_dependencies(edges: Sequence[DagDependency], dag_url: Callable[[str], str]) -> Markup:
    """The SVG of ``edges``; each DAG box links to ``dag_url(dag_id)``."""
    order = list(dict.fromkeys(d for e in edges for d in (e.source, e.target)))
    acyclic = nx.DiGraph()
    acyclic.add_nodes_from(order)
    for edge in edges:
        if edge.source != edge.target and not nx.has_path(acyclic, edge.target, edge.source):
            acyclic.add_edge(edge.source, edge.target)
    placed = layout(acyclic, order)
    centre = {
        dag_id: (
            MARGIN + layer * (NODE_W + GAP_X) + NODE_W / 2,
            MARGIN + index * (NODE_H + GAP_Y) + NODE_H / 2,
        )
        for dag_id, (layer, index) in placed.position.items()
    }
    width = MARGIN * 2 + len(placed.layers) * (NODE_W + GAP_X) - GAP_X
    height = MARGIN * 2 + max((len(nodes) for nodes in placed.layers), default=0) * (NODE_H + GAP_Y)
    floor = height - MARGIN - GAP_Y / 2  # below every box: where back edges run
    if any(placed.position[e.source][0] >= placed.position[e.target][0] for e in edges):
        height += 24  # room for the back edges' labels
    kinds: dict[tuple[str, str], list[str]] = {}
    for edge in edges:
        kinds.setdefault((edge.source, edge.target), []).append(edge.kind)
    arrows = [
        _arrow(centre[a], centre[b], ", ".join(sorted(set(k))), a, b, floor)
        for (a, b), k in kinds.items()
    ]
    nodes = [_node(dag_id, centre[dag_id], dag_url(dag_id)) for dag_id in order]
    return svg(max(width, 1.0), max(height, 1.0), [*arrows, *nodes], class_="graph dag-deps")


def _arrow(
    start: tuple[float, float],
    end: tuple[float, float],
    kinds: str,
    source: str,
    target: str,
    floor: float,
) -> Markup:
    """A curve from box to box; a back edge (a cycle between DAGs) leaves and enters from
    below and runs under every box (``floor``), its label beneath it."""
    forward = end[0] > start[0]
    if forward:
        x1, y1, x2, y2 = start[0] + NODE_W / 2, start[1], end[0] - NODE_W / 2, end[1]
        bend = (x2 - x1) / 2
        curve = f"C{x1 + bend:.1f},{y1:.1f} {x2 - bend:.1f},{y2:.1f} {x2:.1f},{y2:.1f}"
        head = f"M{x2 - 7:.1f},{y2 - 4:.1f} L{x2:.1f},{y2:.1f} L{x2 - 7:.1f},{y2 + 4:.1f}"
        label_y = (y1 + y2) / 2 - 5
    else:
        x1, y1 = start[0] + NODE_W / 4, start[1] + NODE_H / 2
        x2, y2 = end[0] - NODE_W / 4, end[1] + NODE_H / 2
        low = (floor + 4 - (y1 + y2) / 8) / 0.75  # the curve's lowest point: floor + 4
        curve = f"C{x1:.1f},{low:.1f} {x2:.1f},{low:.1f} {x2:.1f},{y2:.1f}"
        head = f"M{x2 - 4:.1f},{y2 + 7:.1f} L{x2:.1f},{y2:.1f} L{x2 + 4:.1f},{y2 + 7:.1f}"
        label_y = floor + 18
    label = element(
        "text",
        {"x": (x1 + x2) / 2, "y": label_y, "text_anchor": "middle", "class_": "edge-label"},
        kinds,
    )
    path = element(
        "path",
        {
            "d": f"M{x1:.1f},{y1:.1f} {curve} {head}",
            "class_": "edge",
            "data_edge": f"{source}>{target}",
        },
        element("title", None, f"{source} → {target} ({kinds})"),
    )
    return Markup("").join([path, label])


def _node(dag_id: str, centre: tuple[float, float], url: str) -> Markup:
    x, y = centre[0] - NODE_W / 2, centre[1] - NODE_H / 2
    body = [
        element("title", None, dag_id),
        element(
            "rect", {"x": x, "y": y, "width": NODE_W, "height": NODE_H, "rx": 6, "class_": "box"}
        ),
        element("text", {"x": x + 12, "y": y + 24, "class_": "name"}, truncate(dag_id, 24)),
    ]
    return element(
        "g", {"class_": "node st-none", "data_dag_id": dag_id}, element("a", {"href": url}, *body)
    )
