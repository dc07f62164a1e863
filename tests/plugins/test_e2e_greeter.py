"""The example plugin through the real scheduler: a DAG file imports GreetOperator, the
worker renders a plugin macro and reads the connection; a broken plugin in the plugins
folder changes nothing for the scheduler, the workers or the other plugins."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.harness import Baton

pytestmark = pytest.mark.e2e

DAG = """
from datetime import datetime, timezone
from scheduler import DAG
from plugins.example_greeter import GreetOperator

with DAG("greetings", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
         params={"who": "team"}):
    GreetOperator(task_id="greet", name="{{ macros.example_greeter.shout(params.who) }}")
"""


def test_a_dag_using_the_example_plugin_runs_in_the_real_scheduler(
    baton: Baton, tmp_path: Path
) -> None:
    plugins = tmp_path / "more_plugins"
    plugins.mkdir()
    (plugins / "broken_plugin.py").write_text("raise RuntimeError('this plugin is broken')\n")
    baton.env["BATON_PLUGINS_FOLDER"] = str(plugins)
    baton.cli(
        "connections",
        "add",
        "greeter_default",
        "--conn-type",
        "greeter",
        "--conn-login",
        "ops",
        "--conn-password",
        "greeter-api-key-1",
        "--conn-extra",
        '{"greeting": "Welcome"}',
    )
    baton.write_dag("greetings.py", DAG)
    baton.start()
    baton.wait_for_dag("greetings")
    run_id = baton.trigger("greetings", {"who": "crew"})
    assert baton.wait_for_run("greetings", run_id, timeout=120) == "success"
    (only_try,) = baton.tries("greetings", run_id, "greet")
    log = Path(only_try.log_path).read_text()
    assert "Welcome, CREW!! (from ops)\n" in log
    assert "Greeted CREW! through connection greeter_default" in log

    listed = json.loads(baton.cli("plugins", "list", "-o", "json").stdout)
    assert "example_greeter" in {p["name"] for p in listed["plugins"]}
    assert [f["name"] for f in listed["failures"]] == ["broken_plugin"]
    assert "RuntimeError: this plugin is broken" in listed["failures"][0]["error"]
