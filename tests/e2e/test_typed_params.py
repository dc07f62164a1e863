"""Typed params against the real scheduler: a trigger breaking a param's schema is refused
before any run exists, with the same message from the CLI and the REST API; a valid one
runs and its task sees plain, typed values. Messages are jsonschema's, as in Airflow."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from scheduler import api
from tests.e2e.harness import Baton
from webui import create_app

pytestmark = pytest.mark.e2e

TYPED_DAG = """
from datetime import datetime, timezone
from scheduler import DAG, Param, PythonOperator

def record(params):
    # Airflow's context["params"]: plain values, not Param objects.
    return {name: [value, type(value).__name__] for name, value in params.items()}

with DAG(
    "typed",
    schedule=None,
    start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
    params={
        "n": Param(2, type="integer", minimum=1, maximum=10, title="How many"),
        "mode": Param("fast", enum=["fast", "safe"]),
        "day": Param(type="string", format="date", description="required: no default"),
        "note": "free",
    },
) as dag:
    PythonOperator(task_id="record", python_callable=record)
"""


@pytest.fixture
def typed(baton: Baton) -> Iterator[Baton]:
    baton.write_dag("typed.py", TYPED_DAG)
    baton.start()
    baton.wait_for_dag("typed")
    yield baton


def _run_ids(baton: Baton) -> list[str]:
    return [run.run_id for run in api.list_runs(baton.settings, "typed")]


def _recorded(baton: Baton, run_id: str) -> dict:
    (xcom,) = api.list_xcoms(baton.settings, "typed", run_id, "record")
    return json.loads(xcom.value)


@pytest.mark.parametrize(
    ("conf", "message"),
    [
        ({"n": 0, "day": "2026-01-31"}, "n: 0 is less than the minimum of 1"),
        ({"n": "3", "day": "2026-01-31"}, "n: '3' is not of type 'integer'"),
        ({"mode": "slow", "day": "2026-01-31"}, "mode: 'slow' is not one of ['fast', 'safe']"),
        ({"day": "31/01/2026"}, "day: '31/01/2026' is not a 'date'"),
        ({"n": 3}, "day: no value was given and the param has no default"),
    ],
)
def test_cli_refuses_a_conf_breaking_a_param_before_any_run_exists(
    typed: Baton, conf: dict, message: str
) -> None:
    result = typed.cli("dags", "trigger", "typed", "--conf", json.dumps(conf), check=False)
    assert result.returncode == 1
    assert result.stderr.startswith(f"Error: {message}")
    assert _run_ids(typed) == []


def test_cli_trigger_with_valid_values_runs_with_typed_params(typed: Baton) -> None:
    run_id = typed.trigger("typed", {"n": 7, "day": "2026-01-31", "extra": [1]})
    assert typed.wait_for_run("typed", run_id) == "success"
    assert _recorded(typed, run_id) == {
        "n": [7, "int"],
        "mode": ["fast", "str"],
        "day": ["2026-01-31", "str"],
        "note": ["free", "str"],
        "extra": [[1], "list"],  # a conf key that is no declared param passes through
    }


def test_rest_api_answers_400_naming_the_param_and_runs_a_valid_conf(typed: Baton) -> None:
    app = create_app({"BATON_SETTINGS": typed.settings, "TESTING": True})
    user = api.create_user(typed.settings, "op", "op-password-12345", "Op")
    token = api.create_token(typed.settings, user.id, "e2e", source="test")[1]
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    url = "/api/v1/dags/typed/dagRuns"

    refused = client.post(url, json={"conf": {"n": 0, "day": "2026-01-31"}}, headers=headers)
    assert refused.status_code == 400
    assert refused.get_json() == {"error": "n: 0 is less than the minimum of 1", "field": "conf.n"}
    missing = client.post(url, json={"conf": {}}, headers=headers)
    assert missing.status_code == 400 and missing.get_json()["field"] == "conf.day"
    assert _run_ids(typed) == []

    created = client.post(
        url, json={"conf": {"n": 10, "mode": "safe", "day": "2026-02-01"}}, headers=headers
    )
    assert created.status_code == 200, created.get_json()
    run_id = created.get_json()["dag_run_id"]
    assert typed.wait_for_run("typed", run_id) == "success"
    assert _recorded(typed, run_id)["n"] == [10, "int"]
    assert _recorded(typed, run_id)["mode"] == ["safe", "str"]


BAD_DEFAULT_DAG = """
from datetime import datetime, timezone
from scheduler import DAG, Param, EmptyOperator

with DAG("bad_default", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
         params={
             "n": Param(0, type="integer", minimum=1),
         }) as dag:
    EmptyOperator(task_id="t")
"""

SCHEDULED_REQUIRED_DAG = """
from datetime import datetime, timezone
from scheduler import DAG, Param, EmptyOperator

with DAG("nightly", schedule="@daily", start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
         params={"day": Param(type="string")}) as dag:
    EmptyOperator(task_id="t")
"""


def test_a_bad_default_is_an_import_error_at_the_param_line(baton: Baton) -> None:
    baton.write_dag("bad_default.py", BAD_DEFAULT_DAG)
    baton.write_dag("nightly.py", SCHEDULED_REQUIRED_DAG)
    baton.start()

    def errors() -> dict[str, dict] | None:
        listed = json.loads(baton.cli("dags", "errors", "-o", "json", check=False).stdout)
        return {e["file"].rsplit("/", 1)[-1]: e for e in listed} if len(listed) == 2 else None

    found = baton.wait_until("two import errors", errors)
    bad = found["bad_default.py"]
    assert bad["line"] == 7  # the Param(...) line, not the DAG's
    assert bad["error"].endswith(
        "DAG 'bad_default': invalid default for param n: 0 is less than the minimum of 1; "
        "fix the default or the schema"
    )
    assert "param 'day' has no default, but the DAG has a schedule" in found["nightly.py"]["error"]
    assert "bad_default" not in baton.dag_ids() and "nightly" not in baton.dag_ids()
