"""on_compensation_failure_callback: called in the worker by the last compensation try that
fails (the task goes compensation_failed), with the context and the exception; not by a
compensation try that will be retried, nor by the task's own tries."""

from __future__ import annotations

from pathlib import Path

from tests.runner.support import DagFolder

DAG = """
    from scheduler import DAG, PythonOperator

    def undo():
        raise RuntimeError("refund service down")

    def alert(context):
        with open(context["params"]["out"], "a") as out:
            print(context["ti"].task_id, context["try_number"], context["exception"], file=out)

    with DAG("demo", params={"out": "OUT"}):
        PythonOperator(task_id="charge", python_callable=lambda: 1 / 0, retries=1,
                       compensate=undo, on_compensation_failure_callback=alert)
"""


def test_only_the_last_failing_compensation_try_calls_it(tmp_path: Path) -> None:
    dags = DagFolder(tmp_path)
    out = tmp_path / "alerts.txt"
    dags.write(DAG.replace("OUT", str(out)))
    for number in (1, 2):
        finished, _ = dags.run("charge", try_number=number)  # the task's own tries
        assert finished.state == "failed"
    assert not out.exists()
    first, _ = dags.run("charge", try_number=1, compensation=True)  # retries=1: retried
    assert first.state == "failed" and not out.exists()
    last, _ = dags.run("charge", try_number=2, compensation=True)
    assert last.state == "failed" and "refund service down" in last.error
    assert out.read_text() == "charge 2 refund service down\n"


def test_a_failing_callback_changes_nothing(tmp_path: Path) -> None:
    dags = DagFolder(tmp_path)
    dags.write(DAG.replace("OUT", str(tmp_path / "no" / "such" / "dir.txt")))
    last, log = dags.run("charge", try_number=2, compensation=True)
    assert last.state == "failed" and "refund service down" in last.error
    assert "on_compensation_failure_callback" in log and "failed; the try's outcome" in log
