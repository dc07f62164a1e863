"""XCom in a try: the return value, xcom_push, and xcom_pull through an XComReader."""

from __future__ import annotations

from .support import DagFolder, xcom

XCOM_DAG = """
    from scheduler import DAG, PythonOperator, task

    def produce(ti):
        ti.xcom_push(key="rows", value=[1, 2, 3])
        mine = ti.xcom_pull(key="rows")  # task_ids=None: this task, this try's own push
        return {"count": len(mine)}

    def consume(ti):
        return {
            "one": ti.xcom_pull(task_ids="produce"),
            "rows": ti.xcom_pull(task_ids="produce", key="rows"),
            "many": ti.xcom_pull(task_ids=["produce", "missing"], default="-"),
            "absent": ti.xcom_pull(task_ids="missing", default="fallback"),
        }

    def returns_a_set():
        return {1, 2}

    def pushes_a_set(ti):
        ti.xcom_push(key="bad", value={1, 2})

    with DAG("demo"):
        PythonOperator(task_id="produce", python_callable=produce)
        PythonOperator(task_id="consume", python_callable=consume)
        PythonOperator(task_id="set_return", python_callable=returns_a_set)
        PythonOperator(task_id="set_push", python_callable=pushes_a_set)
        PythonOperator(task_id="quiet", python_callable=lambda: 42, do_xcom_push=False)

        @task
        def extract():
            return [3, 4]

        @task
        def total(values):
            return sum(values)

        total(extract())
"""


def test_return_value_and_pushes_travel_back_as_json(dags: DagFolder) -> None:
    dags.write(XCOM_DAG)
    finished, log = dags.run("produce")
    assert finished.state == "success", log
    assert finished.xcoms == (("rows", "[1, 2, 3]"), ("return_value", '{"count": 3}'))


def test_xcom_pull_reads_other_tasks_through_the_reader(dags: DagFolder) -> None:
    dags.write(XCOM_DAG)
    dags.run("produce")
    finished, log = dags.run("consume")
    assert finished.state == "success", log
    assert xcom(finished) == {
        "one": {"count": 3},
        "rows": [1, 2, 3],
        "many": [{"count": 3}, "-"],
        "absent": "fallback",
    }


def test_a_return_value_that_is_not_json_fails_the_try_clearly(dags: DagFolder) -> None:
    dags.write(XCOM_DAG)
    finished, log = dags.run("set_return")
    assert finished.state == "failed"
    assert finished.error.startswith("XComError: task 'set_return' produced XCom 'return_value'")
    assert "of type set" in finished.error
    assert "return or push JSON-compatible data" in finished.error
    assert "Marking task as FAILED" in log


def test_a_push_that_is_not_json_fails_at_the_push(dags: DagFolder) -> None:
    dags.write(XCOM_DAG)
    finished, log = dags.run("set_push")
    assert finished.state == "failed"
    assert "XCom 'bad' of type set" in finished.error
    assert 'ti.xcom_push(key="bad"' in log  # the traceback points at the task's line


def test_do_xcom_push_false_sends_nothing_back(dags: DagFolder) -> None:
    dags.write(XCOM_DAG)
    finished, _ = dags.run("quiet")
    assert finished.state == "success"
    assert finished.xcoms == ()


def test_taskflow_arguments_are_pulled_from_upstream(dags: DagFolder) -> None:
    dags.write(XCOM_DAG)
    dags.run("extract")
    finished, log = dags.run("total")
    assert finished.state == "success", log
    assert xcom(finished) == 7
