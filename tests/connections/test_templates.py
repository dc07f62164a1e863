"""``{{ conn.* }}`` and ``{{ var.* }}`` in templates, rendered by the real runner."""

from __future__ import annotations

from pathlib import Path

import pytest

from scheduler import Connection, Variable
from scheduler.connections import manage
from scheduler.settings import Settings
from tests.runner.support import DagFolder, xcom

DAG_SOURCE = """
    from scheduler import DAG, BashOperator

    with DAG("demo"):
        BashOperator(task_id="conn", bash_command="echo {{conn.my_api.host}}:{{conn.my_api.port}}")
        BashOperator(task_id="conn_get", bash_command="echo {{ conn.get('nope', 'fallback') }}")
        BashOperator(task_id="var", bash_command="echo {{ var.value.region }}")
        BashOperator(task_id="var_json", bash_command="echo {{ var.json.settings.retries.max }}")
        BashOperator(task_id="var_default", bash_command="echo {{ var.value.get('nope', 'dflt') }}")
        BashOperator(task_id="missing", bash_command="echo {{ conn.missing_conn.host }}")
"""


@pytest.fixture
def dags(tmp_path: Path, home: Settings) -> DagFolder:
    manage.add_connection(home, Connection("my_api", "http", "api.example.com", 8443))
    Variable.set("region", "eu-west")
    Variable.set("settings", {"retries": {"max": 7}}, serialize_json=True)
    folder = DagFolder(tmp_path)
    folder.write(DAG_SOURCE)
    return folder


@pytest.mark.parametrize(
    ("task_id", "expected"),
    [
        ("conn", "api.example.com:8443"),
        ("conn_get", "fallback"),
        ("var", "eu-west"),
        ("var_json", "7"),
        ("var_default", "dflt"),
    ],
)
def test_templates_read_connections_and_variables(
    dags: DagFolder, task_id: str, expected: str
) -> None:
    finished, log = dags.run(task_id)
    assert finished.state == "success", log
    assert xcom(finished) == expected


def test_an_unknown_connection_in_a_template_fails_the_try_saying_how_to_add_it(
    dags: DagFolder,
) -> None:
    finished, log = dags.run("missing")
    assert finished.state == "failed"
    assert finished.error.startswith("ConnectionNotFoundError: connection 'missing_conn'")
    assert "baton connections add missing_conn" in log
