"""A conf nested 500+ levels deep, end to end: once it was stored despite an HTTP 500 and then
broke listing its DAG's runs. Now every way of triggering (REST API, CLI,
TriggerDagRunOperator) refuses it before anything is stored, and the DAG keeps working."""

from __future__ import annotations

import json

from tests.e2e.harness import Baton
from tests.e2e.http_calls import api_token, call
from tests.e2e.webserver import running_webui
from tests.test_json_limits import nested

TARGET = """
from datetime import UTC, datetime
from scheduler import DAG, task

with DAG(dag_id="target", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=UTC)):
    @task
    def show(dag_run=None):
        return len(str(dag_run.conf))

    show()
"""

LAUNCHER = """
from datetime import UTC, datetime
from scheduler import DAG, TriggerDagRunOperator

deep = {}
for _ in range(99):
    deep = {"a": deep}

with DAG(dag_id="launcher", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=UTC)):
    TriggerDagRunOperator(task_id="too_deep", trigger_dag_id="target", conf=deep,
                          trigger_run_id="from_launcher")
"""

DEPTH_ERROR = "conf is nested 501 levels deep; the limit is 64 (BATON_MAX_CONF_DEPTH)"


def test_a_deep_conf_is_refused_everywhere_and_the_dag_keeps_working(baton: Baton) -> None:
    baton.write_dag("target.py", TARGET)
    baton.write_dag("launcher.py", LAUNCHER)
    token = api_token(baton)
    baton.start()
    baton.wait_for_dag("target")
    baton.wait_for_dag("launcher")
    with running_webui(baton) as url:
        runs_url = f"{url}/api/v1/dags/target/dagRuns"
        body = json.dumps({"conf": nested(501), "dag_run_id": "deep"})
        refused = call("POST", runs_url, body, token=token)
        assert refused.status == 400, refused.body[:500]
        assert refused.json["error"].startswith(DEPTH_ERROR)
        huge = call("POST", runs_url, json.dumps({"conf": {"x": "y" * 70_000}}), token=token)
        assert huge.status == 400 and "BATON_MAX_CONF_SIZE" in huge.json["error"]

        cli = baton.cli("dags", "trigger", "target", "--conf", json.dumps(nested(501)), check=False)
        assert cli.returncode != 0
        assert "--conf is nested 501 levels deep; the limit is 64" in cli.stderr + cli.stdout

        launcher_run = baton.trigger("launcher")
        assert baton.wait_for_run("launcher", launcher_run) == "failed"
        error = baton.task_instance("launcher", launcher_run, "too_deep").error
        assert "conf is nested 100 levels deep; the limit is 64" in error

        listing = call("GET", runs_url, token=token)
        assert listing.status == 200 and listing.json["total_entries"] == 0, listing.body

        edge = {"deep": nested(63)}
        accepted = call(
            "POST", runs_url, json.dumps({"conf": edge, "dag_run_id": "ok"}), token=token
        )
        assert accepted.status == 200, accepted.body
        assert baton.wait_for_run("target", "ok") == "success"
        listing = call("GET", runs_url, token=token)
        assert listing.status == 200
        assert [run["dag_run_id"] for run in listing.json["dag_runs"]] == ["ok"]
        assert listing.json["dag_runs"][0]["conf"] == edge
