"""Left-to-right layout of a DAG: layers by longest path, then fewer edge crossings.

The Sugiyama recipe, kept small: each task's layer is the length of the longest path that
reaches it (so every edge points right); within a layer, tasks are reordered by the mean
position of their neighbours (barycentre), sweeping right then left, keeping the ordering
with the fewest crossings seen. Edges that span several layers take part through their ends.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import networkx as nx

SWEEPS = 8


@dataclass(frozen=True)
class Layout:
    layers: list[list[str]]  # left to right; each top to bottom
    position: dict[str, tuple[int, int]]  # task_id -> (layer, index within the layer)
    crossings: int


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


def count_crossings(graph: nx.DiGraph, layers: list[list[str]]) -> int:
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


def layout(graph: nx.DiGraph, order: Sequence[str]) -> Layout:
    layers = longest_path_layers(graph, order)
    best = [list(nodes) for nodes in layers]
    best_crossings = count_crossings(graph, best)
    for sweep in range(SWEEPS):
        if best_crossings == 0:
            break
        rightwards = sweep % 2 == 0
        _sweep(graph, layers, rightwards)
        crossings = count_crossings(graph, layers)
        if crossings < best_crossings:
            best, best_crossings = [list(nodes) for nodes in layers], crossings
    position = {node: (li, i) for li, nodes in enumerate(best) for i, node in enumerate(nodes)}
    return Layout(best, position, best_crossings)


def _sweep(graph: nx.DiGraph, layers: list[list[str]], rightwards: bool) -> None:
    """Reorder each layer by the barycentre of its neighbours in already-placed layers."""
    neighbours = graph.predecessors if rightwards else graph.successors
    indices = range(1, len(layers)) if rightwards else range(len(layers) - 2, -1, -1)
    for li in indices:
        placed = {
            node: i
            for other in _neighbour_layers(layers, li, rightwards)
            for i, node in enumerate(other)
        }
        key: dict[str, tuple[float, int]] = {}
        for i, node in enumerate(layers[li]):
            seen = [placed[n] for n in neighbours(node) if n in placed]
            key[node] = (sum(seen) / len(seen) if seen else float(i), i)
        layers[li].sort(key=key.__getitem__)


def _neighbour_layers(layers: list[list[str]], li: int, rightwards: bool) -> list[list[str]]:
    """Every layer on the side already placed, so that edges spanning layers count too."""
    return layers[:li] if rightwards else layers[li + 1 :]
