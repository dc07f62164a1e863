"""Inside a try: get_current_context() and Airflow's exceptions under their Airflow names."""

from __future__ import annotations

from .support import DagFolder, xcom

DAG_FILE = """
    from scheduler import (
        DAG, AirflowFailException, AirflowSkipException, BashOperator, PythonOperator,
        get_current_context, task,
    )

    def helper():
        # A function that is not handed the context reaches it as in Airflow.
        context = get_current_context()
        return [context["ti"].task_id, context["ds"], context["params"]["size"]]

    def fail_now():
        raise AirflowFailException("bad input, do not retry")

    def remember(context):
        with open(context["params"]["out"], "w") as f:
            f.write(get_current_context()["ti"].task_id)

    def dates(logical_date, data_interval_end, dag_run):
        # Airflow's context dates are pendulum DateTimes: task code calls pendulum's methods.
        return [
            logical_date.add(days=1).format("YYYY-MM-DD"),
            logical_date.in_timezone("Europe/Paris").hour,
            data_interval_end.subtract(hours=1).isoformat(),
            dag_run.logical_date.start_of("day").isoformat(),
            str(logical_date),
        ]

    with DAG("demo", params={"size": 3, "out": ""}):
        @task
        def reads_context():
            return helper()

        @task
        def skips():
            raise AirflowSkipException("nothing to do today")

        reads_context()
        skips()
        PythonOperator(task_id="fails", python_callable=fail_now, retries=3)
        PythonOperator(task_id="calls_back", python_callable=lambda: None,
                       on_success_callback=remember)
        PythonOperator(task_id="dates", python_callable=dates)
        BashOperator(
            task_id="paris",
            bash_command="echo {{ logical_date.in_timezone('Europe/Paris').format('HH:mm') }}",
        )
"""


def test_get_current_context_inside_a_task_is_its_context(tmp_path) -> None:
    folder = DagFolder(tmp_path)
    folder.write(DAG_FILE)
    finished, _ = folder.run("reads_context")
    assert finished.state == "success", finished.error
    assert xcom(finished) == ["reads_context", "2026-11-28", 3]


def test_get_current_context_works_in_callbacks(tmp_path) -> None:
    folder = DagFolder(tmp_path)
    folder.write(DAG_FILE)
    out = tmp_path / "callback.txt"
    finished, log = folder.run("calls_back", conf={"out": str(out)})
    assert finished.state == "success", log
    assert out.read_text() == "calls_back"


def test_airflow_skip_and_fail_exceptions_end_the_try_as_in_airflow(tmp_path) -> None:
    folder = DagFolder(tmp_path)
    folder.write(DAG_FILE)
    skipped, _ = folder.run("skips")
    assert skipped.state == "skipped"
    failed, _ = folder.run("fails")
    assert (failed.state, failed.retryable) == ("failed", False)
    assert "bad input, do not retry" in (failed.error or "")


def test_context_dates_are_pendulum_datetimes(tmp_path) -> None:
    folder = DagFolder(tmp_path)
    folder.write(DAG_FILE)
    finished, _ = folder.run("dates")  # logical date 2026-11-28T06:30Z, interval end the same
    assert finished.state == "success", finished.error
    assert xcom(finished) == [
        "2026-11-29",
        7,
        "2026-11-28T05:30:00+00:00",
        "2026-11-28T00:00:00+00:00",
        "2026-11-28T06:30:00+00:00",
    ]
    rendered, log = folder.run("paris")
    assert rendered.state == "success", log
    assert xcom(rendered) == "07:30"
