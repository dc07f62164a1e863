"""Callbacks run at Airflow's moments; a failing callback never changes the outcome."""

from __future__ import annotations

from pathlib import Path

from .support import DagFolder

CALLBACKS_DAG = """
    from pathlib import Path
    from scheduler import DAG, PythonOperator, BatonFailException, BatonSkipException

    JOURNAL = Path("JOURNAL")

    def note(event):
        def callback(context):
            error = context.get("exception")
            suffix = f":{type(error).__name__}" if error else ""
            with JOURNAL.open("a") as out:
                out.write(f"{event} {context['ti'].task_id} {context['try_number']}{suffix}\\n")
        return callback

    def broken(context):
        raise RuntimeError("the callback itself is broken")

    def fail():
        raise ValueError("nope")

    def fail_hard():
        raise BatonFailException("stop")

    def skip():
        raise BatonSkipException()

    callbacks = dict(
        on_execute_callback=note("execute"),
        on_success_callback=[note("success"), broken],
        on_failure_callback=note("failure"),
        on_retry_callback=note("retry"),
        on_skipped_callback=note("skipped"),
    )

    with DAG("demo"):
        PythonOperator(task_id="ok", python_callable=lambda: None, **callbacks)
        PythonOperator(task_id="flaky", python_callable=fail, retries=1, **callbacks)
        PythonOperator(task_id="hard", python_callable=fail_hard, retries=1, **callbacks)
        PythonOperator(task_id="skip", python_callable=skip, **callbacks)
        PythonOperator(task_id="broken_start", python_callable=lambda: "done",
                       on_execute_callback=broken)
"""


def write_dag(dags: DagFolder, tmp_path: Path) -> Path:
    journal = tmp_path / "journal.txt"
    dags.write(CALLBACKS_DAG.replace('"JOURNAL"', repr(str(journal))))
    return journal


def test_success_runs_execute_then_success_callbacks(dags: DagFolder, tmp_path: Path) -> None:
    journal = write_dag(dags, tmp_path)
    finished, log = dags.run("ok")
    assert finished.state == "success"
    assert journal.read_text().splitlines() == ["execute ok 1", "success ok 1"]
    assert "RuntimeError: the callback itself is broken" in log  # logged, then ignored
    assert log.rstrip().endswith("Marking task as SUCCESS")


def test_a_failure_with_retries_left_calls_on_retry_then_on_failure(
    dags: DagFolder, tmp_path: Path
) -> None:
    journal = write_dag(dags, tmp_path)
    first, first_log = dags.run("flaky", try_number=1)
    last, last_log = dags.run("flaky", try_number=2)
    assert (first.state, last.state) == ("failed", "failed")
    assert journal.read_text().splitlines() == [
        "execute flaky 1",
        "retry flaky 1:ValueError",
        "execute flaky 2",
        "failure flaky 2:ValueError",
    ]
    assert "Marking task as UP_FOR_RETRY" in first_log
    assert "Marking task as FAILED" in last_log


def test_fail_exception_goes_straight_to_on_failure(dags: DagFolder, tmp_path: Path) -> None:
    journal = write_dag(dags, tmp_path)
    finished, _ = dags.run("hard", try_number=1)
    assert finished.retryable is False
    assert journal.read_text().splitlines() == [
        "execute hard 1",
        "failure hard 1:BatonFailException",
    ]


def test_skip_calls_on_skipped(dags: DagFolder, tmp_path: Path) -> None:
    journal = write_dag(dags, tmp_path)
    finished, _ = dags.run("skip")
    assert finished.state == "skipped"
    assert journal.read_text().splitlines() == ["execute skip 1", "skipped skip 1"]


def test_a_failing_execute_callback_does_not_stop_the_task(dags: DagFolder, tmp_path: Path) -> None:
    write_dag(dags, tmp_path)
    finished, log = dags.run("broken_start")
    assert finished.state == "success"
    assert finished.xcoms == (("return_value", '"done"'),)
    assert "on_execute_callback" in log and "failed; the try's outcome is unchanged" in log
