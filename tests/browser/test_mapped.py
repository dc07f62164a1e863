"""Mapped task instances in a real browser: the grid shows a mapped task's cell with its
instances' counts, a click opens the run's list of instances, and one instance's page shows
its own log."""

from __future__ import annotations

import re
from urllib.parse import quote

from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveBaton, screenshot

MAPPED = """
from datetime import datetime, timezone
from scheduler import DAG, task

with DAG("mapped_ui", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc)):
    @task
    def numbers():
        return [10, 20, 30, 40]

    @task
    def halve(x):
        print(f"halving {x}")
        if x == 30:
            raise ValueError("thirty refuses")
        return x // 2

    halve.expand(x=numbers())
"""


def test_grid_counts_list_and_instance_log(page: Page, live: LiveBaton) -> None:
    live.baton.write_dag("mapped_ui.py", MAPPED)
    live.baton.wait_for_dag("mapped_ui", timeout=90)
    run_id = live.baton.trigger("mapped_ui")
    assert live.baton.wait_for_run("mapped_ui", run_id, timeout=90) == "failed"

    page.goto(f"{live.url}/dags/mapped_ui/grid")
    cell = page.locator("table.grid td a.mapped")
    expect(cell).to_have_count(1)
    expect(cell).to_have_attribute("data-map-count", "4")
    expect(cell).to_have_attribute("title", re.compile(r"success 3/4, failed 1$"))
    expect(cell).to_have_class(re.compile(r"\bs-failed\b"))
    screenshot(page, "30_grid_mapped")

    # The cell opens the grid's details panel with the instances; it links to their list.
    cell.click()
    panel = page.locator("[data-testid=details-panel]")
    expect(panel.locator("[data-testid=panel-mapped-summary]")).to_have_text(
        "success 3/4, failed 1"
    )
    expect(panel.locator("[data-testid=panel-mapped-instances] tbody tr")).to_have_count(4)
    expect(page).to_have_url(re.compile(r"task_id="))
    screenshot(page, "30b_grid_mapped_panel")
    panel.locator("[data-testid=panel-mapped-list]").click()
    expect(page.locator("[data-testid=mapped-summary]")).to_have_text("success 3/4, failed 1")
    rows = page.locator("[data-testid=mapped-instances] tbody tr")
    expect(rows).to_have_count(4)
    expect(rows.nth(2)).to_contain_text("thirty refuses")
    screenshot(page, "31_mapped_instances")

    rows.nth(1).locator("a[data-testid=instance-link]").click()
    expect(page).to_have_url(re.compile(r"map_index=1"))
    expect(page.locator("[data-testid=map-index]")).to_have_text("[1]")
    expect(page.locator("[data-testid=log]")).to_contain_text("halving 20")
    expect(page.locator("[data-testid=log]")).not_to_contain_text("halving 10")
    expect(page.locator("[data-testid=xcoms]")).to_contain_text("10")
    screenshot(page, "32_mapped_instance")

    # The graph shows the mapped task's node with its count and aggregate state.
    page.goto(f"{live.url}/dags/mapped_ui/graph")
    node = page.locator("#graph g.node[data-task-id=halve]")
    expect(node).to_have_class(re.compile(r"\bst-failed\b"))
    expect(node.locator("text.map-count")).to_have_text("[4]")

    # The REST API of the same live scheduler answers per instance (the session's cookie).
    api = f"{live.url}/api/v1/dags/mapped_ui/dagRuns/{quote(run_id, safe='')}/taskInstances"
    listed = page.request.get(f"{api}/halve/listMapped").json()
    assert listed["total_entries"] == 4
    assert [t["state"] for t in listed["task_instances"]] == [
        "success",
        "success",
        "failed",
        "success",
    ]
    log = page.request.get(f"{api}/halve/logs?map_index=3").json()
    assert "halving 40" in log["content"]
    assert page.request.get(f"{api}/halve").status == 404  # mapped: name the instance
