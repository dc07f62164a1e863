"""Every import error names its file and, where there is one, its line: a DAG file that calls
os._exit, and a dag_id declared again in another file."""

from __future__ import annotations

import json

import pytest

from tests.e2e.harness import Baton

pytestmark = pytest.mark.e2e

OWNER = """
from datetime import datetime, timezone
from scheduler import DAG, EmptyOperator

with DAG("shared", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc)) as dag:
    EmptyOperator(task_id="first")
"""

COPY = """
from datetime import datetime, timezone
from scheduler import DAG, EmptyOperator

# a copy of a_owner.py's DAG, pasted under the same id

with DAG("shared", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc)) as dag:
    EmptyOperator(task_id="second")
"""

EXITS = """
import os
from scheduler import DAG


def give_up():
    os._exit(3)


give_up()
"""


def _errors(baton: Baton) -> dict[str, dict]:
    listed = json.loads(baton.cli("dags", "errors", "-o", "json", check=False).stdout)
    return {e["file"].rsplit("/", 1)[-1]: e for e in listed}


def test_os_exit_and_a_repeated_dag_id_are_reported_at_their_lines(baton: Baton) -> None:
    baton.write_dag("a_owner.py", OWNER)
    baton.write_dag("b_copy.py", COPY)
    baton.write_dag("exits.py", EXITS)
    baton.start()
    baton.wait_for_dag("shared")
    errors = baton.wait_until(
        "two import errors", lambda: len(_errors(baton)) == 2 and _errors(baton)
    )

    exits = errors["exits.py"]
    assert exits["file"] == str(baton.dags / "exits.py")
    assert exits["line"] == 7  # the os._exit call, inside give_up()
    assert "exit code 3" in exits["error"]

    # Whichever file was parsed first owns the dag_id; the other is reported at its line.
    lines = {"a_owner.py": 5, "b_copy.py": 7}  # each file's `with DAG("shared", ...)`
    (loser,) = set(errors) - {"exits.py"}
    (winner,) = set(lines) - {loser}
    duplicate = errors[loser]
    assert duplicate["file"] == str(baton.dags / loser)
    assert duplicate["line"] == lines[loser]
    assert f"already declared in {baton.dags / winner}:{lines[winner]}" in duplicate["error"]
    expected_task = "first" if winner == "a_owner.py" else "second"
    assert baton.cli_json("tasks", "list", "shared")[0]["task_id"] == expected_task
