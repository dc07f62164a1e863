"""How a try ends: success, skipped, failed (retryable or not), timeout; never an exception."""

from __future__ import annotations

from pathlib import Path

from scheduler.runner import run_try

from .support import DagFolder

OUTCOMES_DAG = """
    import sys, time
    from datetime import timedelta
    from scheduler import DAG, PythonOperator, BatonFailException, BatonSkipException

    def skip():
        raise BatonSkipException("nothing to do today")

    def fail_hard():
        raise BatonFailException("the input is corrupt")

    def boom():
        raise ValueError("boom")

    def interrupt():
        raise KeyboardInterrupt

    with DAG("demo"):
        PythonOperator(task_id="skip", python_callable=skip)
        PythonOperator(task_id="fail_hard", python_callable=fail_hard, retries=3)
        PythonOperator(task_id="boom", python_callable=boom)
        PythonOperator(task_id="exit3", python_callable=lambda: sys.exit(3))
        PythonOperator(task_id="interrupt", python_callable=interrupt)
        PythonOperator(task_id="slow", python_callable=lambda: time.sleep(30),
                       execution_timeout=timedelta(seconds=1))
"""


def test_skip_exception_skips(dags: DagFolder) -> None:
    dags.write(OUTCOMES_DAG)
    finished, log = dags.run("skip")
    assert (finished.state, finished.error) == ("skipped", None)
    assert "Skipping task: nothing to do today" in log
    assert "Marking task as SKIPPED" in log


def test_fail_exception_fails_without_retries(dags: DagFolder) -> None:
    dags.write(OUTCOMES_DAG)
    finished, log = dags.run("fail_hard")
    assert finished.state == "failed"
    assert finished.retryable is False
    assert finished.error == "BatonFailException: the input is corrupt"
    assert "Marking task as FAILED" in log


def test_an_exception_fails_the_try_with_its_traceback_in_the_log(dags: DagFolder) -> None:
    dags.write(OUTCOMES_DAG)
    finished, log = dags.run("boom")
    assert (finished.state, finished.error, finished.retryable) == (
        "failed",
        "ValueError: boom",
        True,
    )
    assert "ERROR - Task failed with exception\nTraceback (most recent call last):" in log
    assert 'raise ValueError("boom")' in log


def test_sys_exit_and_keyboard_interrupt_are_failures_not_crashes(dags: DagFolder) -> None:
    dags.write(OUTCOMES_DAG)
    finished, _ = dags.run("exit3")
    assert (finished.state, finished.error) == ("failed", "SystemExit: 3")
    finished, _ = dags.run("interrupt")
    assert (finished.state, finished.error) == ("failed", "KeyboardInterrupt")


def test_execution_timeout_stops_a_sleeping_task(dags: DagFolder) -> None:
    dags.write(OUTCOMES_DAG)
    finished, log = dags.run("slow")
    message = (
        "Task exceeded its execution_timeout of 0:00:01; raise the timeout or make the task faster"
    )
    assert finished.state == "failed"
    assert finished.error == f"BatonTaskTimeout: {message}"
    assert message in log


def test_a_dag_file_that_fails_to_import_fails_the_try(dags: DagFolder) -> None:
    dags.write("from scheduler import DAG\nraise RuntimeError('no database here')\n")
    finished, log = dags.run("any")
    assert finished.state == "failed"
    assert "failed to import, so DAG 'demo' is unavailable" in finished.error
    assert "RuntimeError: no database here" in finished.error
    assert "line 2" in log


def test_missing_dag_or_task_fails_with_what_exists(dags: DagFolder) -> None:
    dags.write(OUTCOMES_DAG)
    finished, _ = dags.run("skip", dag_id="other")
    assert finished.error.startswith("DagNotFoundError: DAG 'other' is not declared in")
    assert "(DAGs there: demo)" in finished.error
    finished, _ = dags.run("nope")
    assert finished.error.startswith("TaskNotFoundError: DAG 'demo' has no task 'nope'")


def test_an_unwritable_log_fails_the_try_without_raising(dags: DagFolder, tmp_path: Path) -> None:
    dags.write(OUTCOMES_DAG)
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    finished = run_try(dags.request("boom", log_path=str(blocker / "x" / "1.log")))
    assert finished.state == "failed"
    assert "could not run the task with its log at" in finished.error
