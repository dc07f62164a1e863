"""End to end: a connection password and a sensitive variable used every way a task can use
them (print, stderr, logging, fd 1 of a subprocess, a templated BashOperator, an error
message) never appear in any file under BATON_HOME nor in any CLI output."""

from __future__ import annotations

from pathlib import Path

import pytest

from scheduler import Connection
from scheduler.connections import manage
from tests.e2e.harness import Baton

pytestmark = pytest.mark.e2e

PASSWORD = "Zk8-pa55-e2e-Qw"
API_KEY = "ak-93f0c2-e2e"

DAG = """
import logging, os, subprocess, sys
from datetime import datetime, timezone
from scheduler import DAG, BaseHook, BashOperator, PythonOperator, Variable

def leak():
    password = BaseHook.get_connection("vault").password
    key = Variable.get("partner_api_key")
    print("print", password, key)
    print("stderr", password, file=sys.stderr)
    logging.getLogger("leaky").warning("logging %s %s", password, key)
    os.write(1, f"fd1 {password}\\n".encode())
    subprocess.run(["echo", "subprocess", password], check=True)
    return "leaked nothing"

def fail():
    raise ValueError("cannot log in with " + BaseHook.get_connection("vault").password)

with DAG("masking", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc)):
    PythonOperator(task_id="leak", python_callable=leak)
    BashOperator(
        task_id="bash",
        # The last line becomes the XCom, and XCom values are not redacted (as in Airflow):
        # end with a line that is not a secret.
        bash_command="echo templated {{ conn.vault.password }} {{ var.value.partner_api_key }}"
                     " && echo from-env $PW && echo done",
        env={"PW": "{{ conn.vault.password }}"},
    )
    PythonOperator(task_id="fail", python_callable=fail)
"""


def test_secrets_never_reach_files_or_cli_output(baton: Baton) -> None:
    settings = baton.settings
    manage.add_connection(settings, Connection.from_uri("vault", f"postgres://svc:{PASSWORD}@db/x"))
    manage.set_variable(settings, "partner_api_key", API_KEY)
    baton.write_dag("masking.py", DAG)
    baton.start()
    baton.wait_for_dag("masking")
    run_id = baton.trigger("masking")
    assert baton.wait_for_run("masking", run_id, timeout=120) == "failed"
    assert baton.task_states("masking", run_id) == {
        "leak": "success",
        "bash": "success",
        "fail": "failed",
    }

    logs = {t: _log(baton, run_id, t) for t in ("leak", "bash", "fail")}
    assert logs["leak"].count("***") >= 7  # print x2, stderr, logging x2, fd 1, subprocess
    assert "templated *** ***" in logs["bash"] and "from-env ***" in logs["bash"]
    assert "ValueError: cannot log in with ***" in logs["fail"]
    assert (
        baton.task_instance("masking", run_id, "fail").error == "ValueError: cannot log in with ***"
    )

    outputs = [
        *logs.values(),
        baton.cli("connections", "list", "-o", "json").stdout,
        baton.cli("connections", "get", "vault").stdout,
        baton.cli("variables", "list").stdout,
    ]
    baton.stop()
    outputs.append(baton.log_text())
    for secret in (PASSWORD, API_KEY):
        assert not [o for o in outputs if secret in o], f"{secret} in a log or CLI output"
        leaking = [p for p in _files(baton.home) if secret.encode() in p.read_bytes()]
        assert leaking == [], f"{secret} found in {leaking}"


def _log(baton: Baton, run_id: str, task_id: str) -> str:
    (only_try,) = baton.tries("masking", run_id, task_id)
    return Path(only_try.log_path).read_text()


def _files(root: Path) -> list[Path]:
    files = [p for p in root.rglob("*") if p.is_file()]
    assert any(p.suffix == ".log" for p in files) and any(p.name == "baton.db" for p in files)
    return files
