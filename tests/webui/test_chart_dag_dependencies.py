"""The DAG dependencies picture: every edge drawn, cycles between DAGs included."""

from __future__ import annotations

from webui.charts.dag_dependencies import render_dependencies
from webui.queries.dag_dependencies import DagDependency


def edge(source: str, target: str, kind: str = "trigger") -> DagDependency:
    return DagDependency(source, target, kind, source, f"to_{target}")


def test_each_dag_once_and_each_pair_once_with_its_kinds() -> None:
    edges = [edge("a", "b"), edge("a", "b", "marker"), edge("b", "c", "sensor")]
    picture = str(render_dependencies(edges, lambda dag_id: f"/dags/{dag_id}"))
    for dag_id in ("a", "b", "c"):
        assert picture.count(f'data-dag-id="{dag_id}"') == 1
        assert f'href="/dags/{dag_id}"' in picture
    assert picture.count('data-edge="a&gt;b"') == 1
    assert "marker, trigger" in picture  # both kinds on the one arrow


def test_a_cycle_between_dags_is_drawn_with_a_back_edge() -> None:
    edges = [edge("a", "b"), edge("b", "a", "sensor"), edge("c", "c", "marker")]
    picture = str(render_dependencies(edges, lambda dag_id: f"/dags/{dag_id}"))
    for pair in ("a&gt;b", "b&gt;a", "c&gt;c"):
        assert f'data-edge="{pair}"' in picture


def test_names_are_escaped() -> None:
    picture = str(render_dependencies([edge("<x>", "y")], lambda dag_id: "/d"))
    assert "<x>" not in picture and "&lt;x&gt;" in picture
