"""The human-in-the-loop operators as DAG files declare them (Airflow 3.1's arguments): a
question that cannot be answered, or is not what the operator asks, is refused at parse."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest

from scheduler import (
    DAG,
    ApprovalOperator,
    HITLBranchOperator,
    HITLEntryOperator,
    HITLOperator,
    Param,
)
from scheduler.errors import DagDefinitionError

START = datetime(2026, 1, 1, tzinfo=UTC)


def _dag() -> DAG:
    return DAG("hitl", schedule=None, start_date=START)


def test_the_fixed_questions_of_approval_and_entry() -> None:
    with _dag():
        approve = ApprovalOperator(task_id="approve", subject="ok?", defaults="Approve")
        entry = HITLEntryOperator(task_id="entry", subject="note", params={"n": Param(1)})
    assert approve.options == ["Approve", "Reject"] and approve.defaults == ["Approve"]
    assert entry.options == ["OK"] and entry.defaults == ["OK"]
    assert set(entry.serialized_params) == {"n"}
    assert approve.template_fields == ("subject", "body")


def test_only_the_tasks_own_params_are_asked() -> None:
    with DAG("p", schedule=None, start_date=START, params={"dag_level": Param(1)}):
        task = HITLOperator(task_id="t", subject="?", options=["a"], params={"mine": Param("x")})
    assert set(task.serialized_params) == {"mine"}
    assert task.serialized_params["mine"]["value"] == "x"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: HITLOperator(task_id="t", subject="?", options=[]), "non-empty list"),
        (
            lambda: HITLOperator(task_id="t", subject="?", options=["a"], defaults="b"),
            "should be a subset of options",
        ),
        (
            lambda: HITLOperator(task_id="t", subject="?", options=["a", "b"], defaults=["a", "b"]),
            "more than one default",
        ),
        (
            lambda: HITLOperator(task_id="t", subject="?", options=["a"], params={"_options": 1}),
            "'_options' is not allowed",
        ),
        (
            lambda: ApprovalOperator(task_id="t", subject="?", options=["x"]),
            "passing options to ApprovalOperator is not allowed",
        ),
        (
            lambda: HITLBranchOperator(
                task_id="t", subject="?", options=["a"], options_mapping={"z": "a"}
            ),
            r"options_mapping has keys that are not in options: \['z'\]",
        ),
        (
            lambda: HITLOperator(task_id="t", subject="?", options=["a"], notifiers=["no"]),
            "notifiers must be notifiers",
        ),
        (
            lambda: HITLOperator(task_id="t", subject="?", options=["a"], assigned_users=["bob"]),
            "assigned_users takes",
        ),
    ],
)
def test_a_question_that_cannot_be_answered_is_refused(make: object, message: str) -> None:
    with _dag(), pytest.raises(DagDefinitionError, match=message):
        make()  # type: ignore[operator]


def test_the_link_to_the_form_names_the_instance_and_prefills_it() -> None:
    with _dag():
        task = HITLOperator(task_id="pick", subject="?", options=["a", "b"],
                            params={"n": Param(1)})  # fmt: skip
    ti = SimpleNamespace(dag_id="hitl", run_id="manual__1", task_id="pick", map_index=-1)
    url = task.generate_link_to_ui(task_instance=ti, base_url="https://b.example/",
                                   options="b", params_input={"n": 2})  # fmt: skip
    parts = urlsplit(url)
    assert parts.netloc == "b.example"
    assert parts.path == "/dags/hitl/runs/manual__1/tasks/pick/required_actions"
    assert parse_qs(parts.query) == {"_options": ["b"], "n": ["2"], "map_index": ["-1"]}
    with pytest.raises(ValueError, match="not valid options"):
        task.generate_link_to_ui(task_instance=ti, base_url="https://b.example", options="z")
