"""Task groups and edge labels in the graph and grid pages (and the layout behind them)."""

from __future__ import annotations

import textwrap
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from urllib.parse import quote

import pytest

from scheduler import api
from scheduler.api.local_run import run_dag_in_process
from scheduler.spec import DagSpec, TaskGroupSpec, TaskSpec
from scheduler.store.db import make_engine
from scheduler.store.migrate import migrate
from tests.webui.conftest import USERNAMES, BatonClient, Seed, WebUI, _settings
from webui import create_app
from webui.charts.graph import render_graph
from webui.charts.group_layout import graph_shape
from webui.charts.group_state import group_state
from webui.views.grid_rows import grid_rows

SVG = "{http://www.w3.org/2000/svg}"

GROUPED_DAG = """
from datetime import UTC, datetime
from scheduler import DAG, BatonFailException, EmptyOperator, Label, TaskGroup, task

with DAG(dag_id="grouped", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=UTC)) as dag:
    start = EmptyOperator(task_id="start")
    with TaskGroup("load", tooltip="loads <things>", ui_color="#ffe0b2") as load:
        first = EmptyOperator(task_id="first")
        with TaskGroup("inner"):
            @task
            def fails():
                raise BatonFailException("no")
            second = fails()
        first >> second
    end = EmptyOperator(task_id="end", trigger_rule="all_done")
    start >> Label("go <now>") >> load >> end
"""


@pytest.fixture(scope="module")
def grouped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[WebUI, str]]:
    """A web UI over a database holding the grouped DAG and one finished run of it."""
    root = tmp_path_factory.mktemp("grouped")
    dags, home = root / "dags", root / "home"
    dags.mkdir()
    (dags / "grouped.py").write_text(textwrap.dedent(GROUPED_DAG))
    settings = _settings(home, dags, home / "baton.db")
    engine = make_engine(settings.database_url)
    migrate(engine)
    engine.dispose()
    api.sync_dags(settings)
    db = api.database(settings)
    run = run_dag_in_process(settings, db, "grouped")
    user = api.create_user(settings, USERNAMES["Viewer"], "viewer-password-1", "Viewer")
    db.dispose()
    seed = Seed(home, dags, home / "baton.db", run.run_id, "", "", {"Viewer": user.id})
    app = create_app({"BATON_SETTINGS": settings, "TESTING": True})
    app.test_client_class = BatonClient
    yield WebUI(app, settings, seed), run.run_id
    api.read_database(settings).dispose()


def _get(grouped: tuple[WebUI, str], url: str) -> str:
    webui, _run = grouped
    response = webui.client("Viewer").get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


def _svg(html: str) -> ET.Element:
    start, end = html.index("<svg"), html.index("</svg>") + len("</svg>")
    return ET.fromstring(html[start:end])


def test_graph_draws_each_group_as_a_frame_around_its_tasks(grouped) -> None:
    root = _svg(_get(grouped, "/dags/grouped/graph"))
    frames = {g.get("data-group-id"): g for g in root.iter(f"{SVG}g") if g.get("class") == "group"}
    assert set(frames) == {"load", "load.inner"}
    boxes = {}
    for group_id, frame in frames.items():
        rect = frame.find(f"{SVG}rect")
        boxes[group_id] = tuple(float(rect.get(k)) for k in ("x", "y", "width", "height"))
        assert rect.get("stroke") == ("#ffe0b2" if group_id == "load" else "CornflowerBlue")
    x, y, w, h = boxes["load"]
    nodes = {g.get("data-task-id"): g for g in root.iter(f"{SVG}g") if g.get("data-task-id")}
    assert set(nodes) == {"start", "load.first", "load.inner.fails", "end"}
    for task_id in ("load.first", "load.inner.fails"):
        box = nodes[task_id].find(f".//{SVG}rect")
        bx, by = float(box.get("x")), float(box.get("y"))
        assert x < bx < x + w and y < by < y + h, task_id
    # Inside a frame a task shows its id without the group's prefix; the tooltip has it all.
    name = nodes["load.inner.fails"].find(f".//{SVG}text")
    assert name.text == "fails"
    assert nodes["load.inner.fails"].find(f".//{SVG}title").text.startswith("load.inner.fails")
    start = nodes["start"].find(f".//{SVG}rect")
    assert float(start.get("x")) + float(start.get("width")) < x  # outside, to the left
    # The inner frame lies inside the outer one.
    ix, iy, iw, ih = boxes["load.inner"]
    assert x < ix and ix + iw < x + w and y < iy and iy + ih < y + h
    # The group's label collapses it; its tooltip is escaped.
    toggle = frames["load"].find(f"{SVG}a")
    assert "collapsed=load&" in toggle.get("href")
    assert "loads <things>" in toggle.find(f".//{SVG}title").text


def test_graph_draws_edge_labels_escaped(grouped) -> None:
    html = _get(grouped, "/dags/grouped/graph")
    assert "go &lt;now&gt;" in html and "go <now>" not in html
    labels = [t for t in _svg(html).iter(f"{SVG}text") if t.get("class") == "edge-label"]
    # One label per labelled edge: start → load.first only (the group's single root).
    assert [t.find(f"{SVG}title").text for t in labels] == ["go <now>"]


def test_collapsed_group_is_one_node_with_its_state_and_rerouted_edges(grouped) -> None:
    _webui, run_id = grouped
    root = _svg(_get(grouped, f"/dags/grouped/graph?run_id={quote(run_id)}&collapsed=load"))
    assert not [g for g in root.iter(f"{SVG}g") if g.get("class") == "group"]
    group_nodes = [g for g in root.iter(f"{SVG}g") if g.get("data-group-id")]
    assert len(group_nodes) == 1
    node = group_nodes[0]
    assert node.get("data-group-id") == "load"
    assert node.get("data-group-tasks") == "load.first load.inner.fails"
    assert node.get("class") == "node group-node st-failed"  # one of its tasks failed
    expand = node.find(f"{SVG}a").get("href")  # the same page without the group collapsed
    assert expand.startswith("/dags/grouped/graph?run_id=") and "collapsed" not in expand
    tasks = {g.get("data-task-id") for g in root.iter(f"{SVG}g") if g.get("data-task-id")}
    assert tasks == {"start", "end"}
    assert len([p for p in root.iter(f"{SVG}path") if p.get("class") == "edge"]) == 2


def test_grid_nests_tasks_under_group_rows_with_the_groups_state(grouped) -> None:
    html = _get(grouped, "/dags/grouped/grid")
    assert html.index(">start</th>") < html.index("▾ load</a>") < html.index(">first</th>")
    assert html.index(">first</th>") < html.index("▾ inner</a>") < html.index(">fails</th>")
    assert html.index(">fails</th>") < html.index(">end</th>")
    assert 'class="cell group s-failed"' in html  # load and load.inner: a task failed
    assert 'class="task depth-2" title="load.inner.fails (@task)"' in html
    folded = _get(grouped, "/dags/grouped/grid?collapsed=load")
    assert "▸ load</a>" in folded and ">first</th>" not in folded and ">end</th>" in folded
    assert 'href="/dags/grouped/grid"' in folded  # a click unfolds it again


def test_pages_without_groups_show_no_group_controls(viewer_client) -> None:
    html = viewer_client.get("/dags/demo_etl/graph").get_data(as_text=True)
    assert "collapse all" not in html and 'class="group"' not in html


def _spec(groups: dict[str, str | None], tasks: dict[str, str | None], edges) -> DagSpec:
    upstream: dict[str, list[str]] = {t: [] for t in tasks}
    for a, b in edges:
        upstream[b].append(a)
    children: dict[str, list[str]] = {g: [] for g in groups}
    for node, parent in [*groups.items(), *tasks.items()]:
        if parent:
            children[parent].append(node)
    return DagSpec(
        dag_id="shape",
        fileloc="",
        tasks={
            t: TaskSpec(t, "EmptyOperator", upstream=tuple(upstream[t]), task_group_id=g)
            for t, g in tasks.items()
        },
        task_groups={
            g: TaskGroupSpec(g, parent=p, children=tuple(children[g]), label=g)
            for g, p in groups.items()
        },
    )


def test_sibling_group_frames_never_overlap() -> None:
    groups = {"a": None, "b": None}
    tasks = {"s": None, "a.1": "a", "a.2": "a", "b.1": "b", "b.2": "b", "e": None}
    edges = [("s", "a.1"), ("s", "b.1"), ("a.1", "a.2"), ("b.1", "b.2"), ("a.2", "e")]
    shape = graph_shape(_spec(groups, tasks, [*edges, ("b.2", "e")]))
    fa, fb = shape.frames["a"], shape.frames["b"]
    apart_x = fa.x + fa.w <= fb.x or fb.x + fb.w <= fa.x
    apart_y = fa.y + fa.h <= fb.y or fb.y + fb.h <= fa.y
    assert apart_x or apart_y
    assert shape.nodes["s"].x < fa.x and fa.x + fa.w < shape.nodes["e"].x


def test_a_dag_without_groups_keeps_its_layout() -> None:
    shape = graph_shape(_spec({}, {"a": None, "b": None, "c": None}, [("a", "b"), ("a", "c")]))
    assert shape.width == 12 * 2 + 2 * 176 + 52 and shape.height == 12 * 2 + 2 * 44 + 16
    assert shape.nodes["a"].x == 12 and shape.nodes["b"].x == 12 + 176 + 52


def test_collapsing_an_outer_group_hides_the_inner_one() -> None:
    spec = _spec({"o": None, "o.i": "o"}, {"o.i.t": "o.i", "x": None}, [("o.i.t", "x")])
    shape = graph_shape(spec, collapsed={"o", "o.i"})
    assert set(shape.collapsed) == {"o"} and not shape.frames
    assert shape.edges == [("o", "x", None)]
    svg = str(render_graph(spec, {"o.i.t": "running"}, lambda t: None, collapsed={"o"}))
    assert 'class="node group-node st-running" data-group-id="o"' in svg


def test_grid_rows_follow_the_nesting() -> None:
    spec = _spec({"o": None, "o.i": "o"}, {"x": None, "o.t": "o", "o.i.t": "o.i"}, [])
    rows = [(r.kind, r.node_id, r.label, r.depth) for r in grid_rows(spec)]
    assert rows == [
        ("task", "x", "x", 0),
        ("group", "o", "o", 0),
        ("task", "o.t", "t", 1),
        ("group", "o.i", "o.i", 1),
        ("task", "o.i.t", "t", 2),
    ]


@pytest.mark.parametrize(
    ("states", "expected"),
    [
        (["success", "failed", "running"], "failed"),
        (["success", "running"], "running"),
        (["success", None], "none"),
        (["success", "skipped"], "success"),
        (["skipped", "skipped"], "skipped"),
        ([], None),
    ],
)
def test_group_state_follows_airflows_priority(states, expected) -> None:
    assert group_state(states) == expected


def test_choosing_another_run_keeps_the_collapsed_groups(grouped) -> None:
    html = _get(grouped, "/dags/grouped/graph?collapsed=load")
    assert '<input type="hidden" name="collapsed" value="load">' in html
