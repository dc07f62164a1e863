"""The pages of the provider and saga features: plugins (and their menu links), circuit
breakers (and their reset), and compensations in the DAG views and the task instance page.

Everything runs for real on the fixtures' database: plugins are imported from a temporary
plugins folder, breakers are opened through the breaker API, and a saga DAG is run in
process (``baton dags test``'s code) until its run ends ``compensation_failed``.
"""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import select

from scheduler import api
from scheduler.api.local_run import run_dag_in_process
from scheduler.breakers import BreakerPolicy, CircuitBreaker, engine_for
from scheduler.plugins import forget_plugins
from scheduler.store.db import transaction
from scheduler.store.models import event_table
from tests.webui.conftest import BatonClient, WebUI
from webui import create_app
from webui.views.plugins import safe_href

GOOD_PLUGIN = """
    from scheduler import BaseHook, BaseOperator, BatonPlugin, MenuLink

    class PingHook(BaseHook):
        conn_type = "ping"

    class PingOperator(BaseOperator):
        def execute(self, context):
            return "pong"

    def twice(x):
        return x * 2

    plugin = BatonPlugin(
        name="linky", operators=[PingOperator], hooks=[PingHook],
        connection_types={"ping": PingHook}, macros=[twice],
        menu_links=[
            MenuLink("Runbook", "https://runbook.example.com/x?a=1&b=2"),
            MenuLink("<img src=x onerror=alert(1)>", "/relative/docs"),
            MenuLink("Evil", "javascript:alert(document.cookie)"),
            MenuLink("Sneaky", " JaVa\\tScript:alert(2)"),
        ],
    )
"""

BROKEN_PLUGIN = """
    raise RuntimeError("<script>alert('plugin')</script>")
"""

SAGA_DAG = """
from datetime import UTC, datetime, timedelta
from scheduler import DAG, PythonOperator

def undo_reserve():
    print("released the stock")

def undo_charge():
    print("refund refused")
    raise RuntimeError("payment service down")

def ship():
    raise RuntimeError("shipping failed")

with DAG(dag_id="demo_saga", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=UTC)) as dag:
    reserve = PythonOperator(task_id="reserve", python_callable=lambda: "r1",
                             compensate=undo_reserve)
    charge = PythonOperator(task_id="charge", python_callable=lambda: "c1",
                            compensate=undo_charge, retries=1,
                            retry_delay=timedelta(seconds=0))
    [reserve, charge] >> PythonOperator(task_id="ship", python_callable=ship)
"""


# -- plugins ---------------------------------------------------------------------------------


@pytest.fixture
def plugin_ui(webui: WebUI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[WebUI]:
    """The web UI with a plugins folder holding a good plugin and a broken one."""
    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / "linky.py").write_text(textwrap.dedent(GOOD_PLUGIN))
    (folder / "broken_xss.py").write_text(textwrap.dedent(BROKEN_PLUGIN))
    monkeypatch.setattr(sys, "path", list(sys.path))
    before = set(sys.modules)
    settings = replace(webui.settings, plugins_folder=str(folder))
    app = create_app({"BATON_SETTINGS": settings, "TESTING": True})
    app.test_client_class = BatonClient
    yield WebUI(app, settings, webui.seed)
    for name in set(sys.modules) - before:
        if not name.startswith(("scheduler", "plugins")):
            del sys.modules[name]
    forget_plugins()


def test_plugins_page_lists_what_each_plugin_registers(plugin_ui: WebUI) -> None:
    response = plugin_ui.client("Viewer").get("/plugins")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "linky" in html and "linky.py" in html  # name and source
    for registered in ("PingOperator", "PingHook", "ping → PingHook", "macros.linky.twice"):
        assert registered in html


def test_a_failing_plugin_is_shown_with_its_error_escaped(plugin_ui: WebUI) -> None:
    html = plugin_ui.client("Viewer").get("/plugins").get_data(as_text=True)
    assert 'data-testid="plugin-failure"' in html and "broken_xss" in html
    assert "RuntimeError: &lt;script&gt;alert(&#39;plugin&#39;)&lt;/script&gt;" in html
    assert "<script>alert" not in html
    home = plugin_ui.client("Viewer").get("/").get_data(as_text=True)
    assert 'data-testid="plugin-failure-banner"' in home and "1 plugin failed" in home
    assert 'class="navwarn"' in home  # flagged in the nav of every page


def test_menu_links_are_in_the_nav_escaped_and_only_http_or_relative(plugin_ui: WebUI) -> None:
    html = plugin_ui.client("Viewer").get("/runs").get_data(as_text=True)
    assert 'href="https://runbook.example.com/x?a=1&amp;b=2"' in html
    assert 'href="/relative/docs"' in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and "<img src=x" not in html
    assert "Evil" in html and "Sneaky" in html  # shown as text...
    assert "alert(document.cookie)" not in html and "alert(2)" not in html  # ...not as links
    assert "javascript" not in html.lower().replace("\t", "")


@pytest.mark.parametrize(
    ("href", "safe"),
    [
        ("https://example.com/a", True),
        ("HTTP://example.com", True),
        ("/docs/plugins.md", True),
        ("docs?x=1", True),
        ("#top", True),
        ("javascript:alert(1)", False),
        ("  JavaScript:alert(1)", False),
        ("java\tscript:alert(1)", False),
        ("java\nscript:alert(1)", False),
        ("data:text/html,<script>", False),
        ("vbscript:msgbox", False),
    ],
)
def test_safe_href_allows_only_http_and_relative_links(href: str, safe: bool) -> None:
    assert (safe_href(href) is not None) is safe


# -- circuit breakers ------------------------------------------------------------------------


@pytest.fixture
def open_breaker(webui: WebUI) -> Iterator[CircuitBreaker]:
    """The breaker of connection ``orders_api``, opened by two failed calls."""
    url = webui.settings.database_url
    breaker = CircuitBreaker("orders_api", BreakerPolicy(failure_threshold=2), database_url=url)
    for _ in range(2):
        with pytest.raises(ConnectionError), breaker.guard():
            raise ConnectionError("<b>connection refused</b>")
    assert breaker.read().state == "open"
    yield breaker
    engine_for(url).dispose()
    engine_for(url, write=False).dispose()


def test_breakers_page_shows_every_breaker(viewer_client, open_breaker) -> None:
    response = viewer_client.get("/breakers")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'data-conn-id="orders_api"' in html
    assert 'class="state brk-open"' in html
    assert '<td class="num">2</td>' in html  # consecutive failures
    assert "ConnectionError: &lt;b&gt;connection refused&lt;/b&gt;" in html
    assert 'data-testid="breaker-reset"' not in html  # Viewers cannot reset
    assert 'href="/breakers"' in html  # in the nav


@pytest.fixture
def paused_throttle(webui: WebUI) -> Iterator[None]:
    """Connection ``legacy_api``'s adaptive throttle after a 429 with Retry-After: 30 s."""
    from scheduler.throttle import AdaptiveThrottle, ThrottledCall, ThrottlePolicy

    url = webui.settings.database_url
    policy = ThrottlePolicy(max_rate=8.0, min_rate=1.0, initial_rate=8.0, increase=1.0)
    throttle = AdaptiveThrottle("legacy_api", policy, database_url=url)
    call = ThrottledCall("legacy_api", policy, started_at=throttle.wait_for_turn())
    call.overloaded("HTTP 429 <i>Too Many Requests</i>", retry_after_s=30)
    throttle.record(call, None)
    yield
    engine_for(url).dispose()
    engine_for(url, write=False).dispose()


def test_breakers_page_and_api_show_adaptive_throttles(viewer_client, paused_throttle) -> None:
    html = viewer_client.get("/breakers").get_data(as_text=True)
    assert 'data-testid="throttles"' in html and 'data-conn-id="legacy_api"' in html
    assert 'class="state thr-paused"' in html
    assert '<td class="num" data-testid="throttle-rate">4</td>' in html  # 8/s halved
    assert "HTTP 429 &lt;i&gt;Too Many Requests&lt;/i&gt;" in html
    body = viewer_client.get("/api/v1/throttles").get_json()
    assert body["total_entries"] == 1
    (row,) = body["throttles"]
    assert (row["conn_id"], row["state"], row["rate"], row["max_rate"]) == (
        "legacy_api",
        "paused",
        4.0,
        8.0,
    )
    assert row["paused_until"] is not None and row["overloads"] == 1
    assert viewer_client.get("/api/v1/throttles?limit=x").status_code == 400


def test_breaker_reset_needs_op_and_csrf(webui, viewer_client, op_client, open_breaker) -> None:
    form = {"conn_id": "orders_api"}
    assert viewer_client.submit("/breakers/reset", form).status_code == 403
    assert op_client.post("/breakers/reset", data=form).status_code == 403  # no CSRF token
    assert open_breaker.read().state == "open"
    assert 'data-testid="breaker-reset"' in op_client.get("/breakers").get_data(as_text=True)
    response = op_client.submit("/breakers/reset", form, follow_redirects=True)
    assert response.status_code == 200
    assert "reset to closed" in response.get_data(as_text=True)
    view = open_breaker.read()
    assert (view.state, view.consecutive_failures, view.opened_at) == ("closed", 0, None)
    e = event_table.c
    with transaction(api.database(webui.settings)) as session:
        rows = session.execute(
            select(e.event, e.source, e.old_state, e.new_state, e.detail).where(
                e.event.in_(("breaker", "user_action")), e.source == "webui:operator"
            )
        ).all()
    assert ("breaker", "webui:operator", "open", "closed", "orders_api") in rows
    assert any(r.event == "user_action" and "orders_api" in r.detail for r in rows)


def test_resetting_an_unknown_breaker_says_so(op_client, webui) -> None:
    response = op_client.submit("/breakers/reset", {"conn_id": "nope"}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "flash-error" in html and "connection &#39;nope&#39; has no circuit breaker" in html
    engine_for(webui.settings.database_url).dispose()


# -- sagas -----------------------------------------------------------------------------------


@pytest.fixture
def saga_run(webui: WebUI, tmp_path: Path) -> str:
    """A run of ``demo_saga``: ``ship`` failed, ``reserve`` compensated, ``charge``'s
    compensation failed twice (compensation_failed); the run ended compensation_failed."""
    dags = tmp_path / "saga_dags"
    dags.mkdir()
    (dags / "demo_saga.py").write_text(SAGA_DAG)
    settings = replace(webui.settings, dags_folder=dags)
    api.sync_dags(settings)
    report = run_dag_in_process(settings, api.database(settings), "demo_saga")
    assert report.state == "compensation_failed", report
    return report.run_id


def test_compensation_states_have_their_colours_in_the_grid_and_list(
    viewer_client, saga_run
) -> None:
    grid = viewer_client.get("/dags/demo_saga/grid").get_data(as_text=True)
    assert 'class="s-compensated"' in grid and 'class="s-compensation_failed"' in grid
    for state in ("compensating", "compensated", "compensation_failed"):
        assert f'<i class="dot s-{state}"></i>' in grid  # the legend
    home = viewer_client.get("/").get_data(as_text=True)
    assert 'class="dot s-compensation_failed"' in home  # the run's mark
    assert 'data-testid="run-legend"' in home
    css = viewer_client.get("/static/baton.css").get_data(as_text=True)
    for state in ("compensating", "compensated", "compensation_failed"):
        assert f".s-{state} {{" in css and f"svg .st-{state} .stripe" in css


def test_graph_marks_tasks_with_a_compensation_and_its_state(viewer_client, saga_run) -> None:
    html = viewer_client.get("/dags/demo_saga/graph", query_string={"run_id": saga_run}).get_data(
        as_text=True
    )
    assert 'class="node st-compensated" data-task-id="reserve"' in html
    assert 'class="node st-compensation_failed" data-task-id="charge"' in html
    assert 'class="node st-failed" data-task-id="ship"' in html
    assert html.count('class="comp"') == 2  # reserve and charge; ship has nothing to undo
    assert 'data-compensation="success">' in html and "↺ success" in html
    assert 'data-compensation="failed">' in html and "↺ failed" in html
    assert 'data-finished="true"' in html  # compensation_failed is a finished run state
    data = viewer_client.get(f"/dags/demo_saga/runs/{saga_run}/states.json").get_json()
    assert data["finished"] and data["state"] == "compensation_failed"
    assert data["tasks"]["charge"]["compensation_state"] == "failed"
    assert "compensation_state" not in data["tasks"]["ship"]


def test_compensation_tries_are_listed_apart_with_their_logs(viewer_client, saga_run) -> None:
    url = f"/dags/demo_saga/runs/{saga_run}/tasks/charge/"
    html = viewer_client.get(url).get_data(as_text=True)
    tries, _, compensations = html.partition('data-testid="compensation-tries"')
    assert tries.count('<td><a href="?try=') == 1  # the task's own single try
    assert compensations.count('data-testid="compensation-log-link"') == 2
    assert 'href="?kind=compensate&amp;try=2"' in compensations
    assert "payment service down" in compensations
    log = viewer_client.get(f"{url}?kind=compensate&try=1").get_data(as_text=True)
    assert "of compensation try 1" in log and "refund refused" in log
    assert "kind=compensate" in log.split('data-log-url="')[1].split('"')[0]
    chunk = viewer_client.get(f"{url}log.json?kind=compensate&try=2").get_json()
    assert "refund refused" in chunk["text"] and chunk["try_number"] == 2
    own = viewer_client.get(f"{url}log.json").get_json()
    assert own["try_number"] == 1 and "refund refused" not in own["text"]


def test_gantt_draws_only_the_tasks_own_tries(viewer_client, saga_run) -> None:
    html = viewer_client.get("/dags/demo_saga/gantt", query_string={"run_id": saga_run}).get_data(
        as_text=True
    )
    assert html.count('data-task-id="charge"') == 1  # its compensation tries are not bars
