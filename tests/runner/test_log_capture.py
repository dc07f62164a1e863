"""Everything a try writes lands in its log file; the process's own output is restored."""

from __future__ import annotations

import logging
import os
import re
import sys
from pathlib import Path

import pytest

from .support import DagFolder

LOGGING_DAG = """
    import logging, os, subprocess, sys
    from scheduler import DAG, BashOperator, PythonOperator

    def chatty():
        print("from print")
        print("from stderr", file=sys.stderr)
        os.write(1, b"from fd 1\\n")
        subprocess.run(["echo", "from a subprocess"], check=True)
        logging.getLogger("my.module").info("from logging")

    with DAG("demo"):
        BashOperator(task_id="bash", bash_command="echo hello-from-bash; echo to-stderr >&2")
        PythonOperator(task_id="chatty", python_callable=chatty)
"""

BATON_LINE = re.compile(r"^\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000\] (INFO|ERROR) - ")


def test_bash_output_lands_in_the_log(dags: DagFolder) -> None:
    dags.write(LOGGING_DAG)
    finished, log = dags.run("bash")
    assert finished.state == "success"
    assert "hello-from-bash\n" in log
    assert "to-stderr\n" in log


def test_print_fds_subprocesses_and_logging_land_in_the_log_in_order(dags: DagFolder) -> None:
    dags.write(LOGGING_DAG)
    finished, log = dags.run("chatty")
    assert finished.state == "success"
    lines = log.splitlines()
    expected = ["from print", "from stderr", "from fd 1", "from a subprocess"]
    assert [line for line in lines if line in expected] == expected
    assert any(line.endswith("INFO - from logging") for line in lines)


def test_baton_lines_have_the_documented_format(dags: DagFolder) -> None:
    dags.write(LOGGING_DAG)
    _, log = dags.run("bash")
    lines = log.splitlines()
    assert BATON_LINE.match(lines[0])
    assert lines[0].endswith("INFO - Starting try 1 of task bash (dag demo, run manual__1)")
    assert any(
        "Rendered bash_command: 'echo hello-from-bash; echo to-stderr >&2'" in x for x in lines
    )
    assert BATON_LINE.match(lines[-1]) and lines[-1].endswith("INFO - Marking task as SUCCESS")


def test_tries_append_to_an_existing_log(dags: DagFolder) -> None:
    dags.write(LOGGING_DAG)
    dags.run("bash")
    _, log = dags.run("bash")
    assert log.count("Starting try 1 of task bash") == 2


def test_the_process_output_is_restored_after_the_try(
    dags: DagFolder, capfd: pytest.CaptureFixture[str]
) -> None:
    dags.write(LOGGING_DAG)
    streams = (sys.stdout, sys.stderr)
    _, log = dags.run("chatty")
    os.write(1, b"after the try\n")
    assert (sys.stdout, sys.stderr) == streams
    assert "after the try" not in log
    assert "after the try" in capfd.readouterr().out


def test_task_logging_does_not_reach_the_host_processs_handlers(
    dags: DagFolder, tmp_path: Path
) -> None:
    dags.write(LOGGING_DAG)
    host = logging.FileHandler(tmp_path / "host.log")
    root = logging.getLogger()
    root.addHandler(host)
    try:
        _, log = dags.run("chatty")
        assert host in root.handlers
    finally:
        root.removeHandler(host)
        host.close()
    assert "from logging" in log
    assert "from logging" not in (tmp_path / "host.log").read_text()
