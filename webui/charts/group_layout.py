"""Where the graph view draws each task and task group: a compound left-to-right layout.

Every block (the DAG, or an expanded task group) is laid out on its own: its units are its
direct tasks and child groups, linked where any task edge runs between them; the units go in
layers (``graph_layout.layout``: longest path, fewer crossings), each layer a column as wide
as its widest unit. An expanded group is a unit as big as its own laid-out block plus a
frame; a collapsed group is one node, the size of a task, and the edges of its tasks reroute
to it. So group frames never overlap.

Edges are routed, not drawn straight: an edge spanning columns has a dummy slot in each column
it passes (``graph_layout``), and an edge into or out of a group passes the group's port (a
sentinel unit before its first column or after its last) and the group's own columns through
slots of its own. A route runs horizontally inside a column only at its own slot's height and
changes height only in the gaps between columns, where no node is: so no edge passes under a
node other than its two ends (``tests/webui/test_graph_routes.py`` checks it on every example
DAG and a 60-task DAG).
"""

from __future__ import annotations

from collections.abc import Collection, Hashable
from dataclasses import dataclass, field
from functools import cached_property

import networkx as nx

from scheduler.spec import DagSpec
from webui.charts.graph_layout import Dummy, layout

NODE_W, NODE_H = 176, 44
SLOT_H = 8  # the height a dummy or a port takes in its column
GAP_X, GAP_Y = 52, 16
PAD = 12
GROUP_PAD, GROUP_HEAD = 12, 26  # a frame's inner margin; the band at its top for the label


@dataclass(frozen=True)
class Box:
    x: float  # top left
    y: float
    w: float
    h: float

    def moved(self, dx: float, dy: float) -> Box:
        return Box(self.x + dx, self.y + dy, self.w, self.h)

    @property
    def centre(self) -> tuple[float, float]:
        return self.x + self.w / 2, self.y + self.h / 2


@dataclass
class GraphShape:
    """The picture's size; boxes of visible nodes (tasks and collapsed groups) and of
    expanded group frames; the edges between visible nodes with their labels."""

    width: float
    height: float
    nodes: dict[str, Box] = field(default_factory=dict)
    collapsed: dict[str, Box] = field(default_factory=dict)
    frames: dict[str, Box] = field(default_factory=dict)
    edges: list[tuple[str, str, str | None]] = field(default_factory=list)
    # Each block's units in reading order (layer by layer), for the grid's rows.
    unit_order: dict[str | None, list[str]] = field(default_factory=dict)
    # Per block: the dummies of each unit edge; every unit's, dummy's and port's column
    # (left, right) and slot height (y); what ``route`` follows.
    chains: dict[str | None, dict[tuple[Hashable, Hashable], list[Dummy]]] = field(
        default_factory=dict
    )
    columns: dict[tuple[str | None, Hashable], tuple[float, float]] = field(default_factory=dict)
    slots: dict[tuple[str | None, Hashable], float] = field(default_factory=dict)
    routes: dict[tuple[str, str], list[tuple[float, float]]] = field(default_factory=dict)


@dataclass(frozen=True)
class Port:
    """Where edges enter (``side="in"``) or leave (``"out"``) an expanded group's block."""

    side: str
    group: str


class GroupTree:
    """The group structure of a ``DagSpec``: which block holds which task or group."""

    def __init__(self, spec: DagSpec) -> None:
        self.spec = spec
        self.groups = spec.task_groups
        self.order = {task_id: i for i, task_id in enumerate(spec.tasks)}

    def parent(self, node: str) -> str | None:
        """The group holding a task or a group (None: the DAG itself)."""
        if node in self.groups:
            return self.groups[node].parent
        task = self.spec.tasks[node]
        return task.task_group_id if task.task_group_id in self.groups else None

    def chain(self, node: str) -> list[str]:
        """The groups around ``node``, outermost first."""
        groups: list[str] = []
        parent = self.parent(node)
        while parent is not None:
            groups.insert(0, parent)
            parent = self.parent(parent)
        return groups

    @cached_property
    def children(self) -> dict[str | None, list[str]]:
        """Direct tasks and groups of each block, in declaration order (a group sorts by its
        first task, so ``start``, ``group``, ``end`` read in that order)."""
        children: dict[str | None, list[str]] = {None: [], **{g: [] for g in self.groups}}
        for node in [*self.groups, *self.spec.tasks]:
            children[self.parent(node)].append(node)
        for nodes in children.values():
            nodes.sort(key=self._first_index)
        return children

    def _first_index(self, node: str) -> float:
        if node in self.groups:
            return min((self.order[t] for t in self.tasks_of(node)), default=float("inf"))
        return self.order[node]

    def tasks_of(self, group: str) -> list[str]:
        """Every task under ``group`` (nested groups included), in declaration order."""
        prefix = self._members[group]
        return [t for t in self.spec.tasks if t in prefix]

    @cached_property
    def _members(self) -> dict[str, set[str]]:
        members: dict[str, set[str]] = {g: set() for g in self.groups}
        for task_id in self.spec.tasks:
            for group in self.chain(task_id):
                members[group].add(task_id)
        return members

    def unit_in(self, block: str | None, task_id: str) -> str | None:
        """The child of ``block`` that holds ``task_id`` (None: not inside ``block``)."""
        chain = [*self.chain(task_id), task_id]
        if block is None:
            return chain[0]
        return chain[chain.index(block) + 1] if block in chain else None


def graph_shape(spec: DagSpec, collapsed: Collection[str] = ()) -> GraphShape:
    """Lay ``spec`` out with the groups in ``collapsed`` drawn as single nodes."""
    tree = GroupTree(spec)
    folded = {g for g in collapsed if g in tree.groups}
    shape = GraphShape(0, 0)
    width, height = _place_block(tree, None, folded, shape, PAD, PAD)
    shape.width, shape.height = width + 2 * PAD, height + 2 * PAD
    shape.edges = _visible_edges(spec, tree, folded)
    shape.routes = {(a, b): route(shape, tree, a, b) for a, b, _label in shape.edges}
    return shape


def route(shape: GraphShape, tree: GroupTree, a: str, b: str) -> list[tuple[float, float]]:
    """The points of the edge from visible node ``a`` to ``b``: out of ``a``'s groups through
    their out ports, across the innermost block holding both, into ``b``'s groups through
    their in ports. Straight from ``a`` to ``b`` if a unit edge was left out (a cycle that
    projecting onto groups closed)."""
    outer_a, outer_b = tree.chain(a), tree.chain(b)
    common = 0
    while common < min(len(outer_a), len(outer_b)) and outer_a[common] == outer_b[common]:
        common += 1
    block = outer_a[common - 1] if common else None
    pieces: list[tuple[str | None, object, object]] = [
        (g, tree.unit_in(g, a), Port("out", g)) for g in reversed(outer_a[common:])
    ]
    pieces.append((block, tree.unit_in(block, a), tree.unit_in(block, b)))
    pieces += [(g, Port("in", g), tree.unit_in(g, b)) for g in outer_b[common:]]
    points: list[tuple[float, float]] = []
    for piece_block, up, down in pieces:
        chain = shape.chains.get(piece_block, {}).get((up, down))
        if chain is None:
            start, end = _box(shape, a), _box(shape, b)
            return [(start.x + start.w, start.centre[1]), (end.x, end.centre[1])]
        points += _piece(shape, piece_block, up, down, chain)
    return points


def _box(shape: GraphShape, unit: object) -> Box:
    """The box of a visible node (a task or a collapsed group) or of a group's frame."""
    if not isinstance(unit, str):  # a port or a dummy has a slot, not a box
        raise TypeError(f"{unit!r} has no box: only nodes and group frames have one")
    return shape.nodes.get(unit) or shape.collapsed.get(unit) or shape.frames[unit]


def _piece(
    shape: GraphShape, block: str | None, up: object, down: object, chain: list[Dummy]
) -> list[tuple[float, float]]:
    """Within ``block``: out of ``up``'s right side, through each dummy's slot, into
    ``down``'s left side; horizontal inside columns, the height changing in the gaps."""
    start_y = _slot(shape, up, "out")
    end_y = _slot(shape, down, "in")
    _up_left, up_right = shape.columns[(block, up)]
    down_left, _down_right = shape.columns[(block, down)]
    start_x = up_right if isinstance(up, Port) else _box(shape, up).x + _box(shape, up).w
    end_x = down_left if isinstance(down, Port) else _box(shape, down).x
    points = [(start_x, start_y), (up_right, start_y)]
    for dummy in chain:
        left, right = shape.columns[(block, dummy)]
        y = shape.slots[(block, dummy)]
        points += [(left, y), (right, y)]
    return [*points, (down_left, end_y), (end_x, end_y)]


def _slot(shape: GraphShape, unit: object, side: str) -> float:
    """The height at which edges leave (``"out"``) or reach (``"in"``) a unit: a node's
    centre, an expanded group's port, a port's own slot."""
    if isinstance(unit, Port):
        return shape.slots[(unit.group, unit)]
    if unit in shape.frames:
        return shape.slots[(unit, Port(side, unit))]
    return _box(shape, unit).centre[1]


def visible_node(tree: GroupTree, folded: Collection[str], task_id: str) -> str:
    """The outermost collapsed group around ``task_id``, else the task itself."""
    return next((g for g in tree.chain(task_id) if g in folded), task_id)


def _visible_edges(
    spec: DagSpec, tree: GroupTree, folded: set[str]
) -> list[tuple[str, str, str | None]]:
    labels = {(up, down): label for up, down, label in spec.edge_labels}
    edges: dict[tuple[str, str], str | None] = {}
    for up, down in sorted(spec.graph.edges, key=lambda e: (tree.order[e[0]], tree.order[e[1]])):
        key = (visible_node(tree, folded, up), visible_node(tree, folded, down))
        if key[0] != key[1]:
            edges[key] = edges.get(key) or labels.get((up, down))
    return [(a, b, label) for (a, b), label in edges.items()]


def _unit_graph(tree: GroupTree, block: str | None) -> nx.DiGraph:
    """The block's units, an edge where a task edge runs between two of them; in a group's
    block, an edge from its in port or to its out port where a task edge crosses its frame.
    Projecting onto groups can close a cycle (a >> g.x, g.y >> a): such an edge is left out."""
    graph = nx.DiGraph()
    graph.add_nodes_from(tree.children[block])
    for up, down in sorted(tree.spec.graph.edges, key=lambda e: (tree.order[e[0]], e[1])):
        a, b = tree.unit_in(block, up), tree.unit_in(block, down)
        if block is not None and (a is None) != (b is None):
            graph.add_edge(a or Port("in", block), b or Port("out", block))
            continue
        if a is None or b is None or a == b or graph.has_edge(a, b):
            continue
        if not nx.has_path(graph, b, a):
            graph.add_edge(a, b)
    return graph


def _place_block(
    tree: GroupTree, block: str | None, folded: set[str], shape: GraphShape, x0: float, y0: float
) -> tuple[float, float]:
    """Place the units of ``block`` with its top left at (x0, y0); return its size."""
    units = tree.children[block]
    if not units:
        return NODE_W, NODE_H / 2
    ports = (Port("in", block), Port("out", block)) if block is not None else (None, None)
    placed = layout(_unit_graph(tree, block), units, *ports)
    columns = placed.columns
    shape.unit_order[block] = [unit for column in placed.layers for unit in column]
    shape.chains[block] = placed.chains
    # Looked up by every unit of a column: dummies and ports too, which take no room.
    sizes: dict[Hashable, tuple[float, float]] = {
        unit: _unit_size(tree, unit, folded) for unit in units
    }
    widths = [max(sizes.get(u, (0, 0))[0] for u in column) for column in columns]
    heights = [
        sum(sizes.get(u, (0, SLOT_H))[1] for u in column) + GAP_Y * (len(column) - 1)
        for column in columns
    ]
    height = max(heights)
    x = x0
    for column, width, column_height in zip(columns, widths, heights, strict=True):
        y = y0 + (height - column_height) / 2
        for unit in column:
            shape.columns[(block, unit)] = (x, x + width)
            if not isinstance(unit, str):  # a dummy or a port: a slot for edges to pass
                shape.slots[(block, unit)] = y + SLOT_H / 2
                y += SLOT_H + GAP_Y
                continue
            w, h = sizes[unit]
            _place_unit(tree, unit, folded, shape, Box(x + (width - w) / 2, y, w, h))
            y += h + GAP_Y
        x += width + GAP_X
    return x - GAP_X - x0, height


def _unit_size(tree: GroupTree, unit: str, folded: set[str]) -> tuple[float, float]:
    if unit not in tree.groups or unit in folded:
        return NODE_W, NODE_H
    inner = _place_block(tree, unit, folded, GraphShape(0, 0), 0, 0)  # measured, not kept
    return inner[0] + 2 * GROUP_PAD, inner[1] + GROUP_HEAD + GROUP_PAD


def _place_unit(tree: GroupTree, unit: str, folded: set[str], shape: GraphShape, box: Box) -> None:
    if unit not in tree.groups:
        shape.nodes[unit] = box
    elif unit in folded:
        shape.collapsed[unit] = box
    else:
        shape.frames[unit] = box
        _place_block(tree, unit, folded, shape, box.x + GROUP_PAD, box.y + GROUP_HEAD)
