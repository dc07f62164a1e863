"""The main user journey in a real browser against a live ``baton standalone``."""

from __future__ import annotations

import json
import re
from urllib.parse import quote

from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveBaton, screenshot

ORDER = {"order_id": "B-7", "items": {"book": 2}, "customer": "grace@example.com"}


def test_trigger_watch_graph_log_clear_and_metrics(page: Page, live: LiveBaton) -> None:
    screenshot(page, "01_dag_list")
    expect(page.locator("tr[data-dag-id=example_orders]")).to_be_visible()

    page.goto(f"{live.url}/dags/example_orders/trigger")
    page.fill("#conf", json.dumps(ORDER))
    screenshot(page, "02_trigger_form")
    page.click("[data-testid=trigger-submit]")
    expect(page).to_have_url(re.compile(r"/dags/example_orders/graph\?run_id=manual"))
    run_id = quote(page.locator("#run_id").input_value(), safe="")

    # The graph recolours itself from the JSON endpoint: the page is never reloaded.
    page.evaluate("window.__notReloaded = true")
    done = page.locator("#graph g.node[data-task-id=done]")
    expect(done).to_have_class(re.compile(r"\bst-success\b"), timeout=90_000)
    expect(page.locator("#run-state .state")).to_have_text("success")
    assert page.evaluate("window.__notReloaded === true")
    screenshot(page, "03_graph_success")

    page.goto(f"{live.url}/dags/example_orders/grid")
    expect(page.locator("[data-testid=grid] td a.s-success").first).to_be_visible()
    screenshot(page, "04_grid")
    page.goto(f"{live.url}/dags/example_orders/gantt?run_id={run_id}")
    expect(page.locator("[data-testid=gantt] g.try").first).to_be_visible()
    screenshot(page, "05_gantt")

    # A task's page and its log, reached from the graph.
    page.goto(f"{live.url}/dags/example_orders/graph?run_id={run_id}")
    page.click("#graph g.node[data-task-id=ship] a")
    expect(page.locator("[data-testid=task-id]")).to_have_text("ship")
    expect(page.locator("#log")).to_contain_text("shipping {'book': 2} to the customer of B-7")
    screenshot(page, "06_task_instance")

    # Clear it: it runs again (a second try) and succeeds.
    page.click("[data-testid=clear-button]")
    expect(page.locator(".flash-success")).to_contain_text("Cleared 1 task")
    tries = page.locator("[data-testid=tries] tbody tr")
    for _ in range(120):
        if tries.count() == 2 and "success" in page.locator("[data-testid=ti-state]").inner_text():
            break
        page.wait_for_timeout(500)
        page.reload()
    expect(tries).to_have_count(2)
    expect(page.locator("[data-testid=ti-state]")).to_contain_text("success")
    expect(page.locator("#log")).to_contain_text("shipping")
    screenshot(page, "07_task_cleared_rerun")

    page.goto(f"{live.url}/metrics/dashboard?window=hour")
    assert int(page.locator("[data-testid=runs-finished]").inner_text()) >= 1
    expect(page.locator("[data-testid=slowest]")).to_contain_text("example_orders")
    screenshot(page, "08_metrics")

    page.goto(f"{live.url}/events?dag_id=example_orders")
    expect(page.locator("[data-testid=events]")).to_contain_text("user_action")
    screenshot(page, "09_events")
    page.goto(f"{live.url}/dags/example_orders/code")
    screenshot(page, "10_code")
    assert page.dialogs == []  # type: ignore[attr-defined]


def test_bad_conf_is_shown_on_the_form(page: Page, live: LiveBaton) -> None:
    page.goto(f"{live.url}/dags/example_orders/trigger")
    page.fill("#conf", '["not", "an", "object"]')
    page.click("[data-testid=trigger-submit]")
    expect(page.locator("[data-testid=form-error]")).to_contain_text("must be a JSON object")
    expect(page.locator("#conf")).to_have_value('["not", "an", "object"]')


def test_script_in_params_doc_and_log_is_shown_as_text(page: Page, live: LiveBaton) -> None:
    raw_run_id = live.baton.trigger("xss_check")
    assert live.baton.wait_for_run("xss_check", raw_run_id, timeout=90) == "success"
    run_id = quote(raw_run_id, safe="")
    payload = "<script>alert('xss')</script>"

    page.goto(f"{live.url}/dags?search=xss")
    expect(page.locator("tr[data-dag-id=xss_check]")).to_contain_text(payload)
    page.goto(f"{live.url}/dags/xss_check/details")
    expect(page.locator("[data-testid=params]")).to_contain_text(payload)
    expect(page.locator("[data-testid=doc-md]")).to_contain_text(payload)
    assert page.locator("[data-testid=doc-md] a[href^=javascript]").count() == 0
    screenshot(page, "11_xss_details")
    page.goto(f"{live.url}/dags/xss_check/runs/{run_id}/tasks/shout/")
    expect(page.locator("#log")).to_contain_text(f"log line: {payload}")
    expect(page.locator("[data-testid=xcoms]")).to_contain_text(payload)
    page.goto(f"{live.url}/dags/xss_check/graph?run_id={run_id}")
    page.goto(f"{live.url}/events?dag_id=xss_check")
    assert page.locator("img[src=x]").count() == 0
    assert page.dialogs == []  # type: ignore[attr-defined]
