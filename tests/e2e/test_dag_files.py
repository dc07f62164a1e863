"""Bad DAG files are reported and isolated; edits and deletions are picked up."""

from __future__ import annotations

import json

import pytest

from tests.e2e.harness import Baton

pytestmark = pytest.mark.e2e

GOOD = """
from datetime import datetime, timezone
from scheduler import DAG, EmptyOperator
with DAG("{dag_id}", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc)) as dag:
    EmptyOperator(task_id="{task_id}")
"""


def import_errors(baton: Baton) -> dict[str, dict]:
    result = baton.cli("dags", "errors", "-o", "json", check=False)
    listed = json.loads(result.stdout)
    assert result.returncode == (1 if listed else 0), result.stderr  # 1 when it lists any
    return {e["file"].rsplit("/", 1)[-1]: e for e in listed}


def test_bad_files_are_reported_while_good_ones_run(baton: Baton) -> None:
    baton.write_dag("good.py", GOOD.format(dag_id="good", task_id="only"))
    baton.write_dag("syntax.py", "from scheduler import DAG\ndef broken(:\n    pass\n")
    baton.write_dag(
        "cycle.py",
        """
from datetime import datetime, timezone
from scheduler import DAG, EmptyOperator
with DAG("cyclic", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc)) as dag:
    a = EmptyOperator(task_id="a")
    b = EmptyOperator(task_id="b")
    c = EmptyOperator(task_id="c")
    a >> b >> c >> a
""",
    )
    baton.write_dag("hangs.py", "import time\nfrom scheduler import DAG\ntime.sleep(3600)\n")
    baton.env["BATON_DAG_FILE_IMPORT_TIMEOUT"] = "2"
    baton.start()
    baton.wait_for_dag("good")
    run_id = baton.trigger("good")
    assert baton.wait_for_run("good", run_id) == "success"

    errors = baton.wait_until(
        "three import errors", lambda: len(import_errors(baton)) == 3 and import_errors(baton)
    )
    assert errors["syntax.py"]["line"] == 2
    assert "SyntaxError" in errors["syntax.py"]["error"]
    assert "a -> b -> c -> a" in errors["cycle.py"]["error"]
    assert "cyclic" in errors["cycle.py"]["error"]
    assert "BATON_DAG_FILE_IMPORT_TIMEOUT" in errors["hangs.py"]["error"]
    assert baton.dag_ids() == {"good"}
    table = baton.cli("dags", "errors", check=False).stdout
    assert "syntax.py" in table and "cycle.py" in table


def test_edited_and_deleted_files_are_picked_up(baton: Baton) -> None:
    path = baton.write_dag("edit_me.py", GOOD.format(dag_id="editable", task_id="first"))
    baton.start()
    baton.wait_for_dag("editable")
    path.write_text(GOOD.format(dag_id="editable", task_id="second"))

    def has_second_task() -> bool:
        shown = json.loads(baton.cli("dags", "show", "editable", "-o", "json").stdout)
        return [t["task_id"] for t in shown["tasks"]] == ["second"]

    baton.wait_until("the edit to be picked up", has_second_task)
    run_id = baton.trigger("editable")
    assert baton.wait_for_run("editable", run_id) == "success"
    path.unlink()
    baton.wait_until("the DAG to become inactive", lambda: "editable" not in baton.dag_ids())
    listed = baton.cli_json("dags", "list", "--all")
    assert [d["dag_id"] for d in listed] == ["editable"] and listed[0]["active"] is False
    # Its history is kept.
    assert baton.cli_json("runs", "list", "editable")[0]["state"] == "success"


def test_cli_errors_are_one_line_with_the_fix(baton: Baton) -> None:
    baton.write_dag("good.py", GOOD.format(dag_id="good", task_id="only"))
    baton.cli("dags", "sync")
    cases = [
        (("dags", "trigger", "nope"), "baton dags list"),
        (("dags", "trigger", "good", "--conf", "{bad json"), "not valid JSON"),
        (("dags", "trigger", "good", "--conf", "[1, 2]"), "JSON object"),
        (("tasks", "logs", "good", "no_such_run", "only"), "runs list"),
        (("dags", "pause"), "--tag"),
    ]
    for args, hint in cases:
        result = baton.cli(*args, check=False)
        assert result.returncode != 0, args
        assert hint in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_dags_test_runs_a_whole_run_in_process(baton: Baton) -> None:
    baton.write_dag(
        "params.py",
        """
from datetime import datetime, timezone
from scheduler import DAG, task
with DAG("params_dag", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
         params={"n": 2}) as dag:
    @task
    def double(params=None):
        return params["n"] * 2
    @task
    def check(value, ds=None):
        assert value == 10, value
        assert ds == "2026-03-04"
    check(double())
""",
    )
    result = baton.cli(
        "dags",
        "test",
        "params_dag",
        "--conf",
        '{"n": 5}',
        "--logical-date",
        "2026-03-04",
        "-o",
        "json",
    )
    report = json.loads(result.stdout)
    assert report["state"] == "success"
    assert report["dag_id"] == "params_dag"
    assert set(report["tasks"]) == {"double", "check"}
    assert report["tasks"]["check"]["tries"] == 1
    failing = baton.cli("dags", "test", "params_dag", "--conf", '{"n": 1}', check=False)
    assert failing.returncode == 1
    # Each failed task's error is printed: task id, try and the error line.
    assert "check failed (try 1): AssertionError: 2" in failing.stderr
    assert "Run " in failing.stdout and ": failed" in failing.stdout


def test_dags_errors_exits_0_when_every_file_imports(baton: Baton) -> None:
    baton.write_dag("good.py", GOOD.format(dag_id="good", task_id="only"))
    baton.cli("dags", "sync")
    assert baton.cli("dags", "errors").returncode == 0
    baton.write_dag("bad.py", "from scheduler import DAG, KubernetesPodOperator\n")
    baton.cli("dags", "sync")
    result = baton.cli("dags", "errors", check=False)
    assert result.returncode == 1
    assert "KubernetesPodOperator is an Airflow operator Baton does not support yet" in (
        result.stdout
    )
