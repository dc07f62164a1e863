"""Left-to-right layout of a DAG: layers by longest path, dummy nodes, fewer edge crossings.

The Sugiyama recipe, kept small: each task's layer is the length of the longest path that
reaches it (so every edge points right). An edge spanning several layers gets a dummy node
in each layer it passes (so its route has a slot of its own in every column and never runs
under a node). Within a layer, nodes and dummies are reordered by the mean position of their
neighbours (barycentre), sweeping right then left, keeping the ordering with the fewest
crossings seen.

``entry`` / ``exit_`` name optional sentinels (a task group's ports): the entry gets a layer
of its own before every other, the exit one after, so edges into and out of a group pass
through the group's columns in slots of their own too.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import TypeGuard

import networkx as nx

SWEEPS = 8


@dataclass(frozen=True)
class Dummy:
    """The place of edge ``edge`` in one layer it passes without an end there."""

    edge: tuple[Hashable, Hashable]
    step: int


@dataclass(frozen=True)
class Layout:
    layers: list[list[str]]  # left to right; each top to bottom (real nodes only)
    position: dict[str, tuple[int, int]]  # node -> (layer, index within the layer)
    crossings: int
    columns: list[list[Hashable]] = field(default_factory=list)  # layers with dummies
    chains: dict[tuple[Hashable, Hashable], list[Dummy]] = field(default_factory=dict)


def longest_path_layers(graph: nx.DiGraph, order: Sequence[str]) -> list[list[str]]:
    """Tasks grouped by the length of the longest path from a root; ``order`` (declaration
    order) decides the initial order within a layer."""
    rank = {node: i for i, node in enumerate(order)}
    layer: dict[str, int] = {}
    for node in nx.topological_sort(graph):
        layer[node] = max((layer[p] + 1 for p in graph.predecessors(node)), default=0)
    layers: list[list[str]] = [[] for _ in range(max(layer.values(), default=-1) + 1)]
    for node in sorted(layer, key=lambda n: rank.get(n, len(rank))):
        layers[layer[node]].append(node)
    return layers


def count_crossings(graph: nx.DiGraph, layers: list[list[Hashable]]) -> int:
    """Pairs of edges that cross, counting each edge between the layers of its two ends."""
    index = {node: (li, i) for li, nodes in enumerate(layers) for i, node in enumerate(nodes)}
    by_layers: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
    for a, b in graph.edges:
        (la, ia), (lb, ib) = index[a], index[b]
        by_layers[(la, lb)].append((ia, ib))
    crossings = 0
    for edges in by_layers.values():
        for i, (a1, b1) in enumerate(edges):
            crossings += sum(1 for a2, b2 in edges[i + 1 :] if (a1 - a2) * (b1 - b2) < 0)
    return crossings


def layout(
    graph: nx.DiGraph,
    order: Sequence[str],
    entry: Hashable | None = None,
    exit_: Hashable | None = None,
) -> Layout:
    real = graph.subgraph(n for n in graph if n not in (entry, exit_))
    layers: list[list[Hashable]] = [list(nodes) for nodes in longest_path_layers(real, order)]
    if entry is not None and entry in graph:
        layers.insert(0, [entry])
    if exit_ is not None and exit_ in graph:
        layers.append([exit_])
    expanded, chains = _with_dummies(graph, layers)
    best = [list(nodes) for nodes in layers]
    best_crossings = count_crossings(expanded, best)
    for sweep in range(SWEEPS):
        if best_crossings == 0:
            break
        _sweep(expanded, layers, rightwards=sweep % 2 == 0)
        crossings = count_crossings(expanded, layers)
        if crossings < best_crossings:
            best, best_crossings = [list(nodes) for nodes in layers], crossings
    position = {node: (li, i) for li, nodes in enumerate(best) for i, node in enumerate(nodes)}
    real_layers = [[n for n in column if _is_real(n, real)] for column in best]
    return Layout(
        [column for column in real_layers if column],
        {n: p for n, p in position.items() if _is_real(n, real)},
        best_crossings,
        best,
        chains,
    )


def _is_real(node: Hashable, real: nx.DiGraph) -> TypeGuard[str]:
    """A task or group id of ``real``: not a dummy, nor an entry or exit sentinel."""
    return isinstance(node, str) and node in real


def _with_dummies(
    graph: nx.DiGraph, layers: list[list[Hashable]]
) -> tuple[nx.DiGraph, dict[tuple[Hashable, Hashable], list[Dummy]]]:
    """``graph`` with each long edge cut into one-layer steps through dummies, which are
    appended to ``layers`` (in place); the dummies of each edge, left to right."""
    level = {node: li for li, nodes in enumerate(layers) for node in nodes}
    expanded = nx.DiGraph()
    expanded.add_nodes_from(graph)
    chains: dict[tuple[Hashable, Hashable], list[Dummy]] = {}
    for a, b in graph.edges:
        chain = [Dummy((a, b), step) for step in range(1, level[b] - level[a])]
        for dummy in chain:
            layers[level[a] + dummy.step].append(dummy)
        path = [a, *chain, b]
        expanded.add_edges_from(itertools.pairwise(path))
        chains[(a, b)] = chain
    return expanded, chains


def _sweep(graph: nx.DiGraph, layers: list[list[Hashable]], rightwards: bool) -> None:
    """Reorder each layer by the barycentre of its neighbours in the layer just placed."""
    neighbours = graph.predecessors if rightwards else graph.successors
    indices = range(1, len(layers)) if rightwards else range(len(layers) - 2, -1, -1)
    for li in indices:
        other = layers[li - 1] if rightwards else layers[li + 1]
        placed = {node: i for i, node in enumerate(other)}
        key: dict[Hashable, tuple[float, int]] = {}
        for i, node in enumerate(layers[li]):
            seen = [placed[n] for n in neighbours(node) if n in placed]
            key[node] = (sum(seen) / len(seen) if seen else float(i), i)
        layers[li].sort(key=key.__getitem__)
