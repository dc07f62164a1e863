"""The graph's edge routes: no edge passes under a node other than its two ends, on every
example DAG (groups expanded and collapsed) and on 60-task DAGs with long edges and groups."""

from __future__ import annotations

import random
from itertools import pairwise
from pathlib import Path

import pytest

from scheduler.authoring import serialize_dag
from scheduler.loader.importer import import_dag_file
from scheduler.spec import DagSpec, TaskGroupSpec, TaskSpec
from webui.charts.group_layout import Box, GraphShape, graph_shape

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "dags").glob("example_*.py"))
SAMPLES = 24  # points per curve


def _curve_points(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The drawn path, sampled: lines where the height stays, the S-curve ``edge_path``
    draws (control points at the horizontal middle) where it changes."""
    sampled: list[tuple[float, float]] = []
    for (xa, ya), (xb, yb) in pairwise(points):
        mid = (xa + xb) / 2
        for i in range(SAMPLES + 1):
            t = i / SAMPLES
            if abs(ya - yb) < 0.5:
                sampled.append((xa + (xb - xa) * t, ya))
                continue
            u = 1 - t
            x = u**3 * xa + 3 * u * u * t * mid + 3 * u * t * t * mid + t**3 * xb
            y = u**3 * ya + 3 * u * u * t * ya + 3 * u * t * t * yb + t**3 * yb
            sampled.append((x, y))
    return sampled


def _inside(box: Box, x: float, y: float, margin: float = 1.0) -> bool:
    inside_x = box.x + margin < x < box.x + box.w - margin
    return inside_x and box.y + margin < y < box.y + box.h - margin


def edges_under_nodes(shape: GraphShape) -> list[str]:
    """Every (edge, node) where the drawn edge passes inside a node box that is not one of
    its ends, or inside a group frame it neither leaves nor enters."""
    boxes = {**shape.nodes, **shape.collapsed}
    problems = []
    for a, b, _label in shape.edges:
        points = _curve_points(shape.routes[(a, b)])
        for node, box in boxes.items():
            if node not in (a, b) and any(_inside(box, x, y) for x, y in points):
                problems.append(f"{a} -> {b} passes under {node}")
        for group, frame in shape.frames.items():
            member = {a, b} & set(_members(shape, group))
            if not member and any(_inside(frame, x, y) for x, y in points):
                problems.append(f"{a} -> {b} passes through group {group}")
    return problems


def _members(shape: GraphShape, group: str) -> list[str]:
    prefix = f"{group}."
    return [n for n in [*shape.nodes, *shape.collapsed] if n.startswith(prefix)]


def _example_specs() -> list[DagSpec]:
    specs = []
    for path in EXAMPLES:
        result = import_dag_file(path)
        assert not result.errors, result.errors
        specs += [serialize_dag(dag) for dag in result.dags.values()]
    return specs


@pytest.mark.parametrize("spec", _example_specs(), ids=lambda s: s.dag_id)
def test_example_dags_have_no_edge_under_a_node(spec: DagSpec) -> None:
    assert edges_under_nodes(graph_shape(spec)) == []
    assert edges_under_nodes(graph_shape(spec, collapsed=set(spec.task_groups))) == []


def test_the_reported_edge_goes_around_show_ds() -> None:
    """Issue 11: make_data → cleanup read as show_ds → cleanup (it was drawn straight under
    show_ds, which sits between them at the same height)."""
    edges = [("make_data", "show_ds"), ("show_ds", "cleanup"), ("make_data", "cleanup")]
    edges += [("make_data", "other"), ("other", "more"), ("more", "cleanup")]
    upstream = {n: tuple(a for a, b in edges if b == n) for pair in edges for n in pair}
    tasks = {n: TaskSpec(n, "PythonOperator", upstream=up) for n, up in upstream.items()}
    shape = graph_shape(DagSpec(dag_id="issue_11", fileloc="", tasks=tasks))
    route = shape.routes[("make_data", "cleanup")]
    show_ds = shape.nodes["show_ds"]
    assert len(route) > 2  # through a slot of its own in show_ds's column
    assert edges_under_nodes(shape) == []
    assert all(not (show_ds.y <= y <= show_ds.y + show_ds.h) for x, y in route[2:-2])


def random_dag(seed: int, size: int = 60, with_groups: bool = False) -> DagSpec:
    """``size`` tasks in declaration order, each with up to 3 upstream tasks among the 15
    before it (long edges are common), optionally in nested task groups."""
    rng = random.Random(seed)
    groups: dict[str, TaskGroupSpec] = {}
    if with_groups:
        groups = {
            "g1": TaskGroupSpec("g1", parent=None, children=(), label="g1"),
            "g1.inner": TaskGroupSpec("g1.inner", parent="g1", children=(), label="inner"),
            "g2": TaskGroupSpec("g2", parent=None, children=(), label="g2"),
        }
    tasks: dict[str, TaskSpec] = {}
    names: list[str] = []
    for i in range(size):
        group = None
        if with_groups and 10 <= i < 25:
            group = "g1.inner" if i >= 18 else "g1"
        elif with_groups and 35 <= i < 45:
            group = "g2"
        name = f"{group}.t{i}" if group else f"t{i}"
        window = names[max(0, i - 15) : i]
        upstream = tuple(rng.sample(window, k=min(len(window), rng.randint(0, 3))))
        tasks[name] = TaskSpec(name, "EmptyOperator", upstream=upstream, task_group_id=group)
        names.append(name)
    return DagSpec(dag_id=f"random_{seed}", fileloc="", tasks=tasks, task_groups=groups)


@pytest.mark.parametrize("seed", range(5))
def test_sixty_task_dags_have_no_edge_under_a_node(seed: int) -> None:
    spec = random_dag(seed)
    shape = graph_shape(spec)
    assert len(shape.nodes) == 60 and len(shape.edges) > 60
    assert edges_under_nodes(shape) == []


@pytest.mark.parametrize("seed", range(3))
def test_sixty_task_dags_with_groups_have_no_edge_under_a_node(seed: int) -> None:
    spec = random_dag(seed, with_groups=True)
    assert edges_under_nodes(graph_shape(spec)) == []
    assert edges_under_nodes(graph_shape(spec, collapsed={"g1.inner"})) == []
    assert edges_under_nodes(graph_shape(spec, collapsed={"g1", "g2"})) == []


def test_the_check_finds_an_edge_drawn_straight_under_a_node() -> None:
    """The checker itself: the old straight a → c drawn across b in between is caught."""
    spec = random_dag(0, size=3)
    shape = graph_shape(spec)
    a, b, c = (shape.nodes[t] for t in ("t0", "t1", "t2"))
    shape.edges = [("t0", "t2", None)]
    y = b.centre[1]
    shape.routes = {("t0", "t2"): [(a.x + a.w, y), (c.x, y)]}
    assert edges_under_nodes(shape) == ["t0 -> t2 passes under t1"]
