"""The grid and the graph in a real browser against a live ``baton standalone``: the grid
updating while a run proceeds (no reload), its details panel (state, tries, rendered
fields, XCom, log) and clearing from it, the run panel with its explanation, keyboard moves;
the graph of a 60-task DAG with no edge passing under a node, zoom and hover."""

from __future__ import annotations

import re
import textwrap

from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveBaton, screenshot

SLOW = """
from datetime import datetime, timezone
from scheduler import DAG, BashOperator, task

with DAG("grid_live", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc)):
    @task
    def start():
        return {"rows": 3}

    slow = BashOperator(task_id="slow", bash_command="echo slow work for {{ dag.dag_id }}; sleep 8")

    @task(trigger_rule="all_done")
    def cleanup():
        print("cleaning up")

    @task
    def flaky():
        raise ValueError("flaky refuses")

    first, done = start(), cleanup()
    first >> slow >> done
    first >> flaky() >> done
"""

WIDE_HEADER = """
from datetime import datetime, timezone
from scheduler import DAG, EmptyOperator

with DAG("wide_60", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc)):
    t = {}
"""


def wide_dag() -> str:
    """60 tasks, each with up to 3 upstream tasks among the 15 before it (long edges),
    written out so the browser draws what tests/webui/test_graph_routes.py checks in Python."""
    from tests.webui.test_graph_routes import random_dag

    spec = random_dag(1)
    lines = [f'    t["{name}"] = EmptyOperator(task_id="{name}")' for name in spec.tasks]
    for name, task in spec.tasks.items():
        lines += [f'    t["{up}"] >> t["{name}"]' for up in task.upstream]
    return textwrap.dedent(WIDE_HEADER) + "\n".join(lines) + "\n"


def test_grid_updates_live_and_its_panel_clears(page: Page, live: LiveBaton) -> None:
    live.baton.write_dag("grid_live.py", SLOW)
    live.baton.wait_for_dag("grid_live", timeout=90)
    first = live.baton.trigger("grid_live")
    assert live.baton.wait_for_run("grid_live", first, timeout=90) == "success"

    page.goto(f"{live.url}/dags/grid_live/grid")
    page.evaluate("window.__notReloaded = true")
    # The all_done leaf succeeded below a failed task: the grid says why.
    expect(page.locator("#grid-explain")).to_contain_text(
        "The run succeeded although flaky failed: a run's state comes from its leaf tasks "
        "(cleanup), and cleanup (trigger_rule=all_done) ended success."
    )
    expect(page.locator("tr.bars th.run")).to_have_count(1)

    # A run triggered elsewhere appears and proceeds without a reload.
    second = live.baton.trigger("grid_live")
    column = page.locator(f'tr.bars th.run[data-run-id="{second}"]')
    expect(column).to_have_count(1, timeout=30_000)
    slow = page.locator(f'td[data-run-id="{second}"][data-task-id="slow"] a')
    expect(slow).to_have_class(re.compile(r"\bs-(queued|running)\b"), timeout=30_000)
    screenshot(page, "40_grid_live_running")
    expect(slow).to_have_class(re.compile(r"\bs-success\b"), timeout=60_000)
    expect(column.locator("a.bar")).to_have_class(re.compile(r"\bs-success\b"), timeout=30_000)
    expect(page.locator("th.scale .tick").first).to_be_visible()
    assert page.evaluate("window.__notReloaded === true")

    # A click on a cell opens the panel beside the grid; the URL names the selection.
    slow.click()
    panel = page.locator("[data-testid=details-panel]")
    expect(panel).to_be_visible()
    expect(page).to_have_url(re.compile(r"run_id=.+&task_id=slow"))
    expect(panel.locator("[data-testid=panel-title]")).to_have_text("slow")
    expect(panel.locator("dl [data-testid=panel-state]")).to_have_text("success")
    expect(panel.locator("[data-testid=panel-tries] tbody tr")).to_have_count(1)
    expect(panel).to_contain_text("echo slow work for grid_live; sleep 8")  # rendered field
    expect(panel.locator("[data-testid=panel-log]")).to_contain_text("slow work for grid_live")
    screenshot(page, "41_grid_details_panel")

    # The link shares the selection: a fresh page opens the same panel.
    shared = page.url
    page.goto(shared)
    expect(page.locator("[data-testid=panel-title]")).to_have_text("slow")
    expect(page.locator(f'td.selected[data-task-id="slow"][data-run-id="{second}"]')).to_have_count(
        1
    )

    # Clear it with downstream from the panel: it runs again (a second try), live.
    page.evaluate("window.__notReloaded = true")
    panel = page.locator("[data-testid=details-panel]")
    panel.locator("[data-testid=clear-downstream]").check()
    panel.locator("[data-testid=panel-clear]").click()
    expect(panel.locator("[data-testid=panel-message]")).to_contain_text(
        "Cleared 2 task(s): slow, cleanup"
    )
    expect(panel.locator("[data-testid=panel-tries] tbody tr")).to_have_count(2, timeout=60_000)
    expect(panel.locator("dl [data-testid=panel-state]")).to_have_text("success", timeout=60_000)
    expect(slow).to_have_class(re.compile(r"\bs-success\b"), timeout=30_000)
    assert page.evaluate("window.__notReloaded === true")
    screenshot(page, "42_grid_cleared_from_panel")

    # Keyboard: up moves to the task above in the same run, Escape closes the panel.
    page.keyboard.press("ArrowUp")
    expect(page).not_to_have_url(re.compile(r"task_id=slow"))
    expect(page.locator("[data-testid=panel-title]")).not_to_have_text("slow")
    page.keyboard.press("Escape")
    expect(page.locator("[data-testid=details-panel]")).to_be_hidden()
    expect(page).not_to_have_url(re.compile(r"task_id="))

    # A run's bar opens the run's panel with its explanation and actions.
    page.locator(f'tr.bars th.run[data-run-id="{first}"] a.bar').click()
    panel = page.locator("[data-testid=details-panel]")
    expect(panel.locator("[data-testid=panel-title]")).to_have_text(first)
    expect(panel.locator("[data-testid=panel-explanation]")).to_contain_text("flaky failed")
    expect(panel.locator("[data-testid=panel-run-actions] button")).to_have_count(5)
    screenshot(page, "43_grid_run_panel")
    delete = panel.locator("[data-testid=panel-run-delete]")
    delete.click()
    expect(delete).to_have_text("Really delete?")
    delete.click()
    expect(page.locator(f'tr.bars th.run[data-run-id="{first}"]')).to_have_count(0, timeout=30_000)
    assert page.dialogs == []  # type: ignore[attr-defined]


EDGES_UNDER_NODES = """
() => {
  const svg = document.querySelector('#graph svg.dag-graph');
  const boxes = [...svg.querySelectorAll('g.node')].map((g) => {
    const b = g.querySelector('rect.box').getBBox();
    return { id: g.dataset.taskId || g.dataset.groupId, x: b.x, y: b.y, w: b.width, h: b.height };
  });
  const problems = [];
  let edges = 0;
  for (const path of svg.querySelectorAll('path.edge')) {
    edges += 1;
    const length = path.getTotalLength();
    for (let d = 0; d <= length; d += 2) {
      const p = path.getPointAtLength(d);
      for (const b of boxes) {
        if (b.id === path.dataset.from || b.id === path.dataset.to) continue;
        if (p.x > b.x + 1 && p.x < b.x + b.w - 1 && p.y > b.y + 1 && p.y < b.y + b.h - 1) {
          problems.push(path.dataset.from + ' -> ' + path.dataset.to + ' under ' + b.id);
        }
      }
    }
  }
  return { edges, nodes: boxes.length, problems: [...new Set(problems)] };
}
"""


def test_graph_of_60_tasks_has_no_edge_under_a_node(page: Page, live: LiveBaton) -> None:
    live.baton.write_dag("wide_60.py", wide_dag())
    live.baton.wait_for_dag("wide_60", timeout=90)
    page.goto(f"{live.url}/dags/wide_60/graph")
    expect(page.locator("#graph g.node")).to_have_count(60)
    found = page.evaluate(EDGES_UNDER_NODES)
    assert found["nodes"] == 60 and found["edges"] > 60
    assert found["problems"] == []
    screenshot(page, "44_graph_60_tasks")

    # Hover lights the node's upstream and downstream and dims the rest.
    node = page.locator("#graph g.node[data-task-id=t20]")
    node.hover()
    expect(page.locator("#graph svg.dag-graph")).to_have_class(re.compile(r"\bhovering\b"))
    assert page.locator("#graph g.node.hl-up").count() > 0
    assert page.locator("#graph path.edge.hl").count() > 0
    screenshot(page, "45_graph_hover")
    page.mouse.move(2, 2)

    # Zoom in with the button and the keyboard, back to fit with "0".
    page.click("[data-zoom=in]")
    expect(page.locator("#graph")).to_have_attribute("data-zoom", "1.25")
    page.keyboard.press("+")
    expect(page.locator("#graph")).to_have_attribute("data-zoom", "1.56")
    screenshot(page, "46_graph_zoomed")
    page.keyboard.press("0")
    expect(page.locator("#graph")).to_have_attribute("data-zoom", "1.00")

    # The example DAG (task groups, labels) passes the same check in the browser.
    page.goto(f"{live.url}/dags/example_orders/graph")
    assert page.evaluate(EDGES_UNDER_NODES)["problems"] == []


def test_task_page_tries_table_follows_the_try(page: Page, live: LiveBaton) -> None:
    """Issue 11: the tries table stayed "running" after the task ended, until a reload."""
    live.baton.write_dag("grid_live.py", SLOW)
    live.baton.wait_for_dag("grid_live", timeout=90)
    run_id = live.baton.trigger("grid_live")
    page.goto(f"{live.url}/dags/grid_live/runs/{run_id}/tasks/slow/")
    page.evaluate("window.__notReloaded = true")
    row = page.locator("[data-testid=tries] tbody tr").first
    expect(row).to_contain_text("running", timeout=60_000)
    expect(row).to_contain_text("success", timeout=60_000)
    expect(page.locator("[data-testid=ti-state]")).to_contain_text("success")
    assert page.evaluate("window.__notReloaded === true")


def test_an_empty_grid_fills_in_when_the_first_run_starts(page: Page, live: LiveBaton) -> None:
    live.baton.write_dag("wide_60.py", wide_dag())
    live.baton.wait_for_dag("wide_60", timeout=90)
    page.goto(f"{live.url}/dags/wide_60/grid")
    expect(page.locator("#no-runs")).to_be_visible()
    expect(page.locator("#grid-table tbody tr[data-task-id]")).to_have_count(60)
    page.evaluate("window.__notReloaded = true")
    run_id = live.baton.trigger("wide_60")
    expect(page.locator(f'tr.bars th.run[data-run-id="{run_id}"]')).to_have_count(1, timeout=30_000)
    expect(page.locator("#no-runs")).to_have_count(0)
    last = page.locator(f'td[data-run-id="{run_id}"][data-task-id="t59"] a')
    expect(last).to_have_class(re.compile(r"\bs-success\b"), timeout=90_000)
    assert page.evaluate("window.__notReloaded === true")
