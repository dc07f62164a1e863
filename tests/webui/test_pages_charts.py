"""The SVG charts: graph layout (layers, crossings), escaping, Gantt and metric charts."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import networkx as nx
import pytest

from scheduler.spec import DagSpec, TaskSpec
from webui.charts import graph_layout
from webui.charts.gantt import Bar, render_gantt
from webui.charts.graph import render_graph
from webui.charts.graph_layout import count_crossings, layout, longest_path_layers
from webui.charts.hbars import hbars

SVG = "{http://www.w3.org/2000/svg}"
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def spec_of(edges: list[tuple[str, str]], extra: tuple[str, ...] = ()) -> DagSpec:
    nodes = list(dict.fromkeys([n for e in edges for n in e] + list(extra)))
    tasks = {
        n: TaskSpec(n, "EmptyOperator", upstream=tuple(a for a, b in edges if b == n))
        for n in nodes
    }
    return DagSpec("d", "/d.py", tasks)


def test_layers_follow_the_longest_path() -> None:
    graph = nx.DiGraph([("a", "b"), ("b", "c"), ("a", "c"), ("c", "d")])
    assert longest_path_layers(graph, "abcd") == [["a"], ["b"], ["c"], ["d"]]


def test_ordering_removes_avoidable_crossings() -> None:
    # Declared so that the naive order crosses: a→y, b→x with x declared before y.
    graph = nx.DiGraph([("a", "y"), ("b", "x")])
    naive = longest_path_layers(graph, ["a", "b", "x", "y"])
    assert count_crossings(graph, naive) == 1
    assert layout(graph, ["a", "b", "x", "y"]).crossings == 0


def test_wider_graph_crossings_decrease(monkeypatch: pytest.MonkeyPatch) -> None:
    graph = nx.gnp_random_graph(30, 0.15, seed=7, directed=True)
    dag = nx.DiGraph([(f"t{a}", f"t{b}") for a, b in graph.edges if a < b])
    order = sorted(dag.nodes, key=lambda n: int(n[1:]))
    after = layout(dag, order).crossings
    monkeypatch.setattr(graph_layout, "SWEEPS", 0)  # declaration order, dummies appended
    assert after < layout(dag, order).crossings


def test_long_edges_get_one_dummy_per_layer_they_pass() -> None:
    graph = nx.DiGraph([("a", "b"), ("b", "c"), ("c", "d"), ("a", "d")])
    placed = layout(graph, "abcd")
    assert [len(column) for column in placed.columns] == [1, 2, 2, 1]
    assert [d.step for d in placed.chains[("a", "d")]] == [1, 2]
    assert placed.chains[("a", "b")] == []
    assert placed.layers == [["a"], ["b"], ["c"], ["d"]]


def test_graph_svg_is_valid_and_escapes_task_ids() -> None:
    spec = spec_of([("<script>x</script>", "b&c")])
    svg = render_graph(spec, {"b&c": "running"}, lambda t: f"/t/{t}")
    root = ET.fromstring(str(svg))  # well-formed XML
    nodes = root.findall(f".//{SVG}g[@data-task-id]")
    assert {n.get("data-task-id") for n in nodes} == {"<script>x</script>", "b&c"}
    assert "<script>" not in str(svg)
    classes = {n.get("data-task-id"): n.get("class") for n in nodes}
    assert classes == {"<script>x</script>": "node st-none", "b&c": "node st-running"}


def test_graph_edges_point_right() -> None:
    svg = str(render_graph(spec_of([("a", "b"), ("b", "c")]), {}, lambda t: None))
    root = ET.fromstring(svg)
    xs = {
        g.get("data-task-id"): float(g.find(f".//{SVG}rect").get("x"))
        for g in root.iter(f"{SVG}g")
        if g.get("data-task-id")
    }
    assert xs["a"] < xs["b"] < xs["c"]


def test_gantt_has_a_bar_per_try_and_none_before_any_start() -> None:
    bars = [
        Bar("a", 1, "failed", T0, T0 + timedelta(seconds=1), T0 + timedelta(seconds=2)),
        Bar(
            "a",
            2,
            "success",
            T0 + timedelta(seconds=3),
            T0 + timedelta(seconds=3),
            T0 + timedelta(seconds=5),
        ),
        Bar("b", 1, "running", T0, T0 + timedelta(seconds=5), None),
    ]
    svg = render_gantt(bars, T0 + timedelta(seconds=6), lambda t: None)
    root = ET.fromstring(str(svg))
    tries = [g for g in root.iter(f"{SVG}g") if g.get("data-try")]
    assert [(g.get("data-task-id"), g.get("data-try")) for g in tries] == [
        ("a", "1"),
        ("a", "2"),
        ("b", "1"),
    ]
    assert render_gantt([Bar("a", 1, "queued", T0, None, None)], T0, lambda t: None) is None


def test_slowest_task_bars_escape_their_labels() -> None:
    svg = str(hbars([("d.<b>", 2.0)], "s", lambda i: None))
    assert "d.&lt;b&gt;" in svg
