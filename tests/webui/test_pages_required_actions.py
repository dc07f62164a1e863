"""The Required actions page and the answer form of a task instance page: a Viewer sees the
question but cannot answer (no form; a POST is 403), an Op answers once, a wrong option is
refused with the reason, and the answer shows who gave it."""

from __future__ import annotations

from sqlalchemy import update

from scheduler.api import hitl
from scheduler.api.hitl import HitlKey
from scheduler.authoring.params import Param, ParamsDict
from scheduler.store.db import transaction
from scheduler.store.models import task_instance_table
from tests.webui.conftest import WebUI

QUESTION = {
    "subject": "Load the <b>batch</b>?",
    "body": "Check the **counts** first.",
    "options": ["Approve", "Reject"],
    "defaults": None,
    "multiple": False,
    "params": ParamsDict({"why": Param("", type="string")}).spec(),
    "assigned_users": [],
}


def _asking(webui: WebUI) -> HitlKey:
    """The queued run's ``extract`` waits deferred on a question (as a HITL task would)."""
    key = HitlKey("demo_etl", webui.seed.queued_run, "extract")
    ti = task_instance_table.c
    with transaction(hitl.database(webui.settings)) as session:
        session.execute(
            update(task_instance_table)
            .where(ti.run_id == key.run_id, ti.task_id == key.task_id)
            .values(state="deferred", try_number=1)
        )
    hitl.ask(webui.settings, key, QUESTION, try_number=1)
    return key


def test_a_viewer_sees_the_question_and_an_op_answers_it(webui: WebUI) -> None:
    key = _asking(webui)
    page = f"/dags/demo_etl/runs/{key.run_id}/tasks/extract/"
    viewer, op = webui.client("Viewer"), webui.client("Op")

    listed = viewer.get("/required_actions").get_data(as_text=True)
    assert "Load the &lt;b&gt;batch&lt;/b&gt;?" in listed and "<b>batch" not in listed
    shown = viewer.get(page).get_data(as_text=True)
    assert "<strong>counts</strong>" in shown and "needs the Op role" in shown
    assert 'name="chosen_options"' not in shown
    assert (
        viewer.submit(f"{page}required_actions", {"chosen_options": "Approve"}).status_code == 403
    )

    assert 'value="Approve"' in op.get(page).get_data(as_text=True)
    wrong = op.submit(f"{page}required_actions", {"chosen_options": "Maybe"}, follow_redirects=True)
    assert "not offered" in wrong.get_data(as_text=True)
    answer = {"chosen_options": "Approve", "param.why": "counts match"}
    done = op.submit(f"{page}required_actions", answer, follow_redirects=True)
    assert "Answered Approve" in done.get_data(as_text=True)
    detail = hitl.get_hitl_detail(webui.settings, key)
    assert detail["responded_by_user"]["name"] == "operator"
    assert detail["chosen_options"] == ["Approve"] and detail["params_input"] == {
        "why": "counts match"
    }
    again = op.submit(
        f"{page}required_actions", {"chosen_options": "Reject"}, follow_redirects=True
    )
    assert "answered already" in again.get_data(as_text=True)
    answered = viewer.get("/required_actions?answered=1").get_data(as_text=True)
    assert "operator" in answered and "Approve" in answered
