"""``DAG(deadline=DeadlineAlert(...))`` as Airflow 3.1 writes it: the spec the scheduler
stores, how the callback is called (kwargs + context; a notifier class built with the
kwargs), and a clear error for each wrong argument."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from scheduler import (
    DAG,
    AsyncCallback,
    DeadlineAlert,
    DeadlineReference,
    EmptyOperator,
    SyncCallback,
)
from scheduler.authoring import serialize_dag
from scheduler.errors import DagDefinitionError
from scheduler.notifications import BaseNotifier
from scheduler.spec import DagSpec

START = datetime(2026, 1, 1, tzinfo=UTC)
seen: list[Any] = []


def record(**kwargs: Any) -> None:
    seen.append(kwargs)


class Recorder(BaseNotifier):
    template_fields = ("text",)

    def __init__(self, text: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.text = text

    def notify(self, context: dict[str, Any]) -> None:
        seen.append(self.text)


def test_deadlines_reach_the_spec_in_order() -> None:
    fixed = datetime(2026, 6, 1, 9, 30, tzinfo=UTC)
    with DAG(
        "late",
        schedule=None,
        start_date=START,
        deadline=[
            DeadlineAlert(
                reference=DeadlineReference.DAGRUN_LOGICAL_DATE,
                interval=timedelta(hours=2),
                callback=AsyncCallback(record, kwargs={"who": "ops"}),
                name="two hours",
            ),
            DeadlineAlert(
                reference=DeadlineReference.FIXED_DATETIME(fixed),
                interval=timedelta(minutes=-30),
                callback=SyncCallback(record),
            ),
            DeadlineAlert(
                reference=DeadlineReference.AVERAGE_RUNTIME(min_runs=3),
                interval=timedelta(minutes=5),
                callback=AsyncCallback(record),
            ),
        ],
    ) as dag:
        EmptyOperator(task_id="t", on_longer_than_usual_callback=record)
    spec = DagSpec.from_dict(serialize_dag(dag).to_dict())
    assert [(d["reference"], d["interval_s"], d["name"]) for d in spec.deadlines] == [
        ("DAGRUN_LOGICAL_DATE", 7200.0, "two hours"),
        ("FIXED_DATETIME", -1800.0, None),
        ("AVERAGE_RUNTIME", 300.0, None),
    ]
    assert (spec.deadlines[2]["max_runs"], spec.deadlines[2]["min_runs"]) == (10, 3)
    assert spec.deadlines[1]["datetime"] == fixed.isoformat()
    assert spec.deadlines[0]["callback"].endswith("test_deadline.record")
    assert spec.long_try_callbacks == ("t",)


def test_the_callback_gets_its_kwargs_and_the_context_and_a_notifier_is_built() -> None:
    seen.clear()
    AsyncCallback(record, kwargs={"who": "ops"}).call({"deadline": {"id": 1}})

    async def coroutine(**kwargs: Any) -> None:
        seen.append(("async", kwargs["context"]["deadline"]["id"]))

    AsyncCallback(coroutine).call({"deadline": {"id": 2}})
    AsyncCallback(Recorder, kwargs={"text": "late: {{ dag_run.dag_id }}"}).call(
        {"dag_run": {"dag_id": "late"}}
    )
    assert seen == [
        {"who": "ops", "context": {"deadline": {"id": 1}}},
        ("async", 2),
        "late: late",
    ]


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: DeadlineAlert(DeadlineReference.DAGRUN_QUEUED_AT, 60, AsyncCallback(record)),
         "must be a datetime.timedelta"),
        (lambda: DeadlineAlert("queued", timedelta(1), AsyncCallback(record)),
         "use DeadlineReference.DAGRUN_LOGICAL_DATE"),
        (lambda: DeadlineAlert(DeadlineReference.DAGRUN_QUEUED_AT, timedelta(1), record),
         "wrap the callable, e.g. callback=AsyncCallback"),
        (lambda: AsyncCallback("not callable"), "must be a function or a notifier class"),
        (lambda: AsyncCallback(record, kwargs={"context": 1}), "'context' is passed by"),
        (lambda: SyncCallback(record, executor="celery"), "drop executor="),
        (lambda: DeadlineReference.FIXED_DATETIME("tomorrow"), "takes a datetime"),
        (lambda: DeadlineReference.AVERAGE_RUNTIME(10, 0), r"min_runs=0\): min_runs must be"),
    ],
)  # fmt: skip
def test_wrong_arguments_say_what_to_write(build: Any, message: str) -> None:
    with pytest.raises((TypeError, DagDefinitionError), match=message):
        build()


def test_deadline_must_be_a_deadline_alert() -> None:
    with pytest.raises(DagDefinitionError, match=r"deadline=.* is not a DeadlineAlert"):
        DAG("bad", schedule=None, start_date=START, deadline=timedelta(hours=1))
