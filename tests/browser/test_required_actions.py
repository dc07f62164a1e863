"""Human in the loop in a real browser: the example refund DAG's three questions answered
from the "Required actions" page and the task instance page's form (approve with a reason,
pick a branch, fill in a note), then the run goes on with the answers."""

from __future__ import annotations

import shutil

from playwright.sync_api import Page, expect

from scheduler.api import hitl
from tests.browser.conftest import ROOT, LiveBaton, screenshot


def _wait_question(live: LiveBaton, run_id: str, task_id: str) -> None:
    def asked() -> bool:
        found = hitl.list_hitl_details(
            live.baton.settings, run_id=run_id, response_received=False
        ).rows
        return any(d["task_instance"]["task_id"] == task_id for d in found)

    live.baton.wait_until(f"the question of {task_id}", asked, timeout=90)


def test_answering_from_required_actions(page: Page, live: LiveBaton) -> None:
    shutil.copy(ROOT / "dags" / "example_hitl.py", live.baton.dags / "example_hitl.py")
    live.baton.wait_for_dag("example_hitl", timeout=90)
    run_id = live.baton.trigger("example_hitl", {"amount": 120, "order": "A-17"})
    _wait_question(live, run_id, "approve_refund")

    page.goto(f"{live.url}/required_actions")
    row = page.get_by_test_id("required-action").filter(has_text=run_id)
    expect(row).to_contain_text("Refund 120 EUR for order A-17?")
    row.get_by_test_id("required-action-link").click()
    form = page.get_by_test_id("required-action-form")
    expect(form).to_contain_text("The customer asked for a refund.")
    page.fill("#param-reason", "damaged on arrival")
    screenshot(page, "required_action_form")
    form.get_by_test_id("hitl-option-Approve").click()
    expect(page.locator(".flash-success")).to_contain_text("Answered Approve")
    expect(page.get_by_test_id("hitl-answer")).to_contain_text("by admin")

    _wait_question(live, run_id, "choose_channel")
    page.goto(f"{live.url}/dags/example_hitl/runs/{run_id}/tasks/choose_channel/")
    page.get_by_test_id("hitl-option-Voucher").click()
    expect(page.locator(".flash-success")).to_contain_text("Answered Voucher")

    _wait_question(live, run_id, "note_for_customer")
    page.goto(f"{live.url}/required_actions")
    page.get_by_test_id("required-action").filter(has_text=run_id).get_by_test_id(
        "required-action-link"
    ).click()
    page.fill("#param-note", "A voucher is on its way.")
    page.get_by_test_id("hitl-option-OK").click()
    expect(page.locator(".flash-success")).to_contain_text("Answered OK")

    assert live.baton.wait_for_run("example_hitl", run_id, timeout=90) == "success"
    states = live.baton.task_states("example_hitl", run_id)
    assert states["send_voucher"] == "success" and states["refund_card"] == "skipped"
    page.goto(f"{live.url}/required_actions?answered=1")
    expect(page.get_by_test_id("required-action").filter(has_text=run_id)).to_have_count(3)
