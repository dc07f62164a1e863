"""Task groups in a real browser: the graph shows a group's frame, collapses and expands it."""

from __future__ import annotations

import re
from urllib.parse import quote

from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveBaton, screenshot

GROUPED = """
from datetime import datetime, timezone
from scheduler import DAG, EmptyOperator, Label, TaskGroup, task

with DAG("grouped_ui", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc)) as dag:
    start = EmptyOperator(task_id="start")
    with TaskGroup("payment", tooltip="charge the card", ui_color="#ffe0b2") as payment:
        @task
        def charge():
            return 42

        @task
        def confirm(amount):
            print(f"confirmed {amount}")

        confirm(charge())
    end = EmptyOperator(task_id="end")
    start >> Label("paid?") >> payment >> end
"""


def test_graph_group_box_collapses_and_expands(page: Page, live: LiveBaton) -> None:
    live.baton.write_dag("grouped_ui.py", GROUPED)
    live.baton.wait_for_dag("grouped_ui", timeout=90)
    run_id = live.baton.trigger("grouped_ui")
    assert live.baton.wait_for_run("grouped_ui", run_id, timeout=90) == "success"

    page.goto(f"{live.url}/dags/grouped_ui/graph?run_id={quote(run_id, safe='')}")
    frame = page.locator("#graph g.group[data-group-id=payment]")
    expect(frame).to_be_visible()
    expect(page.locator("#graph g.node[data-task-id='payment.charge']")).to_be_visible()
    expect(page.locator("#graph text.edge-label")).to_contain_text("paid?")
    # The tasks sit inside the group's frame.
    box = frame.locator("rect.frame").bounding_box()
    charge = page.locator("#graph g.node[data-task-id='payment.charge'] rect.box").bounding_box()
    assert box and charge
    assert box["x"] < charge["x"] and charge["x"] + charge["width"] < box["x"] + box["width"]
    screenshot(page, "20_graph_group_expanded")

    # A click on the group's name collapses it into one node with the group's state.
    frame.locator("a.group-toggle").click()
    node = page.locator("#graph g.group-node[data-group-id=payment]")
    expect(node).to_be_visible()
    expect(node).to_have_class(re.compile(r"\bst-success\b"))
    expect(page.locator("#graph g.node[data-task-id='payment.charge']")).to_have_count(0)
    expect(page.locator("#graph g.group")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"collapsed=payment"))
    screenshot(page, "21_graph_group_collapsed")

    # A click on the collapsed node expands it again.
    node.locator("a").click()
    expect(page.locator("#graph g.group[data-group-id=payment]")).to_be_visible()
    expect(page.locator("#graph g.node[data-task-id='payment.confirm']")).to_be_visible()
    expect(page.locator("#graph g.group-node")).to_have_count(0)

    # The grid nests the group's tasks under its row, which folds them away on a click.
    page.goto(f"{live.url}/dags/grouped_ui/grid")
    group_row = page.locator("tr.group-row[data-group-id=payment]")
    expect(group_row.locator("span.cell.group.s-success")).to_be_visible()
    expect(page.locator("th.task.depth-1", has_text="charge")).to_be_visible()
    screenshot(page, "22_grid_group")
    group_row.locator("a.group-toggle").click()
    expect(page.locator("th.task.depth-1")).to_have_count(0)
    expect(page.locator("tr.group-row[data-group-id=payment]")).to_be_visible()
    assert page.dialogs == []  # type: ignore[attr-defined]
