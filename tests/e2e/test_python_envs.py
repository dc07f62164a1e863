"""Python environments through the real scheduler: a virtualenv task with a requirement from
the package index feeding downstream tasks, the cached venv reused by the next run, an
external_python task in that venv, @task.bash and @task.sensor; a failing install, an
exception and an execution timeout."""

from __future__ import annotations

import json

import pytest

from scheduler import api
from tests.e2e.harness import Baton

pytestmark = pytest.mark.e2e

ENVS_DAG = """
import sys
from datetime import datetime, timezone
from scheduler import DAG, EmptyOperator, PokeReturnValue, task

with DAG("envs", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc)):
    @task.virtualenv(requirements=["six==1.17.0"], system_site_packages=False,
                     multiple_outputs=True)
    def in_venv(n):
        import six, sys
        print("six in the venv:", six.__version__)
        return {"six": six.__version__, "python": sys.executable, "n": n * 2}

    @task
    def consume(version, n):
        return f"six {version}, n={n}"

    @task.external_python(python="/set/below")
    def same_venv():
        import six, sys
        return [six.__version__, sys.prefix]

    @task.bash
    def announce(text):
        return f"echo {text} on {{{{ ds }}}}"

    @task.sensor(poke_interval=0.1, timeout=30)
    def ready(text):
        return PokeReturnValue(is_done=text.startswith("six"), xcom_value=text.upper())

    info = in_venv(21)
    text = consume(info["six"], info["n"])
    same_venv.override(python=info["python"])()
    announce(text)
    ready(text)

    @task.branch_virtualenv(requirements=["six==1.17.0"], system_site_packages=False)
    def pick(n):
        return "big" if n > 10 else "small"

    pick(info["n"]) >> [EmptyOperator(task_id="big"), EmptyOperator(task_id="small")]
"""

BROKEN_DAG = """
import sys
from datetime import datetime, timedelta, timezone
from scheduler import DAG, task

with DAG("broken_env", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc)):
    @task.virtualenv(requirements=["baton-no-such-package-q7x==1.0"])
    def never_runs():
        return 1

    @task
    def after(value):
        return value

    after(never_runs())

    @task.external_python(python=sys.executable)
    def raises(limit):
        raise ValueError(f"limit {limit} exceeded")

    @task.external_python(python=sys.executable, execution_timeout=timedelta(seconds=1))
    def hangs():
        import time
        print("sleeping", flush=True)
        time.sleep(120)

    @task.virtualenv(python_version="3.99")
    def old_python():
        return 1

    raises(5)
    hangs()
    old_python()
"""


def test_virtualenv_tasks_run_reuse_their_venv_and_feed_downstream_tasks(baton: Baton) -> None:
    baton.write_dag("envs.py", ENVS_DAG)
    baton.start()
    baton.wait_for_dag("envs")
    first = baton.trigger("envs")
    assert baton.wait_for_run("envs", first, timeout=180) == "success"
    states = baton.task_states("envs", first)
    assert states.pop("small") == "skipped"  # the branch in the venv chose "big"
    assert set(states.values()) == {"success"}
    venvs = baton.home / "venvs"
    [built] = venvs.glob("venv-*.d-*")
    assert "Created the virtualenv" in baton.task_log("envs", first, "in_venv")
    assert "six in the venv: 1.17.0" in baton.task_log("envs", first, "in_venv")
    assert return_value(baton, first, "consume") == "six 1.17.0, n=42"
    six_version, prefix = return_value(baton, first, "same_venv")
    assert six_version == "1.17.0" and prefix.startswith(str(venvs))
    assert "six 1.17.0, n=42 on " in baton.task_log("envs", first, "announce")
    assert return_value(baton, first, "ready") == "SIX 1.17.0, N=42"

    marker_mtime = (built / "baton-venv.json").stat().st_mtime_ns
    second = baton.trigger("envs")
    assert baton.wait_for_run("envs", second, timeout=120) == "success"
    log = baton.task_log("envs", second, "in_venv")
    assert "Reusing the cached virtualenv" in log and "Creating a virtualenv" not in log
    assert list(venvs.glob("venv-*.d-*")) == [built]
    assert (built / "baton-venv.json").stat().st_mtime_ns == marker_mtime


def test_install_errors_exceptions_and_timeouts_fail_the_tasks(baton: Baton) -> None:
    baton.write_dag("broken.py", BROKEN_DAG)
    baton.start()
    baton.wait_for_dag("broken_env")
    run_id = baton.trigger("broken_env")
    assert baton.wait_for_run("broken_env", run_id, timeout=120) == "failed"
    assert baton.task_states("broken_env", run_id) == {
        "never_runs": "failed",
        "after": "upstream_failed",
        "raises": "failed",
        "hangs": "failed",
        "old_python": "failed",
    }
    error = baton.task_instance("broken_env", run_id, "never_runs").error
    assert "installing the requirements failed" in error
    assert "baton-no-such-package-q7x" in error
    assert "baton-no-such-package-q7x" in baton.task_log("broken_env", run_id, "never_runs")
    raised = baton.task_instance("broken_env", run_id, "raises").error
    assert "raises() raised ValueError: limit 5 exceeded" in raised
    assert "Traceback" in baton.task_log("broken_env", run_id, "raises")
    assert "execution_timeout" in baton.task_instance("broken_env", run_id, "hangs").error
    assert "sleeping" in baton.task_log("broken_env", run_id, "hangs")
    missing = baton.task_instance("broken_env", run_id, "old_python").error
    assert "python_version='3.99': no python3.99 on the worker's PATH" in missing


def return_value(baton: Baton, run_id: str, task_id: str) -> object:
    rows = api.list_xcoms(baton.settings, "envs", run_id, task_id)
    return next(json.loads(r.value) for r in rows if r.key == "return_value")
