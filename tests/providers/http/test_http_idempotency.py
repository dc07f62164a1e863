"""A key the user sets is honoured: ``idempotency_key=`` or an ``Idempotency-Key`` header."""

from __future__ import annotations

import pytest

from plugins.http import HttpHook, HttpOperator
from scheduler.errors import DagDefinitionError
from tests.runner.support import DagFolder, xcom

from .service import FakeService

DAG = """
    from scheduler import DAG
    from plugins.http import HttpOperator

    with DAG("demo", params={"order": 42}):
        HttpOperator(task_id="mine", http_conn_id="svc", endpoint="pay",
                     idempotency_key="order-{{ params.order }}")
        HttpOperator(task_id="header", http_conn_id="svc", endpoint="pay",
                     headers={"IDEMPOTENCY-KEY": "h-{{ run_id }}"})
        HttpOperator.partial(task_id="each", http_conn_id="svc", endpoint="pay").expand(
            data=[{"n": 0}, {"n": 1}]
        )
"""


@pytest.fixture
def http_dags(dags: DagFolder, service: FakeService, monkeypatch: pytest.MonkeyPatch) -> DagFolder:
    monkeypatch.setenv("BATON_CONN_SVC", service.url)
    dags.write(DAG)
    return dags


@pytest.mark.parametrize(("task_id", "key"), [("mine", "order-42"), ("header", "h-manual__1")])
def test_the_users_key_is_sent_on_every_try(
    http_dags: DagFolder, service: FakeService, task_id: str, key: str
) -> None:
    for try_number in (1, 2):
        finished, log = http_dags.run(task_id, try_number=try_number)
        assert finished.state == "success", log
    assert [c.headers["idempotency-key"] for c in service.calls] == [key, key]
    assert [c.headers["baton-try-number"] for c in service.calls] == ["1", "2"]


def test_a_mapped_instance_sends_its_map_index(http_dags: DagFolder, service: FakeService) -> None:
    finished, log = http_dags.run("each", map_index=1, try_number=3)
    assert finished.state == "success", log
    assert xcom(finished)["body"] == '{"n": 1}'
    (call,) = service.calls
    assert call.headers["idempotency-key"] == "demo/manual__1/each/1"


def test_a_header_key_wins_over_the_hooks_key(service: FakeService, monkeypatch) -> None:
    monkeypatch.setenv("BATON_CONN_SVC", service.url)
    hook = HttpHook("POST", "svc", idempotency_key="from-the-task")
    with hook.get_conn({"Idempotency-Key": "from-the-caller"}) as session:
        assert session.headers["idempotency-key"] == "from-the-caller"
    with hook.get_conn() as session:
        assert session.headers["Idempotency-Key"] == "from-the-task"


def test_a_key_given_twice_is_a_dag_error() -> None:
    with pytest.raises(DagDefinitionError, match="give the key once") as error:
        HttpOperator(task_id="t", idempotency_key="a", headers={"Idempotency-Key": "b"})
    assert "test_http_idempotency.py" in str(error.value)
