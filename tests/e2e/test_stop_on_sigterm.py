"""SIGTERM stops an idle scheduler within a second, even while a DAG file hangs at import."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from tests.e2e.harness import Baton

pytestmark = pytest.mark.e2e

GOOD = """
from datetime import datetime, timezone
from scheduler import DAG, EmptyOperator
with DAG("idle", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc)) as dag:
    EmptyOperator(task_id="only")
"""

# Hangs at import, after writing its pid: the loader is busy with it when SIGTERM comes.
HANGS = """
import os, time
from scheduler import DAG
with open({pid_file!r}, "w") as out:
    out.write(str(os.getpid()))
time.sleep(3600)
"""


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _stop_time(baton: Baton) -> float:
    assert baton.process is not None
    started = time.monotonic()
    baton.process.send_signal(signal.SIGTERM)
    baton.process.wait(timeout=30)
    return time.monotonic() - started


def test_an_idle_scheduler_stops_at_once(baton: Baton) -> None:
    baton.write_dag("idle.py", GOOD)
    baton.start()
    baton.wait_for_dag("idle")
    time.sleep(1.0)  # idle: nothing queued, the loader waiting for its next pass
    # Well under a second on an idle machine; the bound leaves room for a loaded one.
    assert _stop_time(baton) < 5.0
    assert baton.process is not None and baton.process.returncode == 0
    assert "scheduler stopped" in baton.log_text()


def test_a_hanging_dag_file_does_not_hold_the_stop_up(baton: Baton, tmp_path: Path) -> None:
    pid_file = tmp_path / "hang.pid"
    baton.write_dag("idle.py", GOOD)
    baton.write_dag("hangs.py", HANGS.format(pid_file=str(pid_file)))
    baton.env["BATON_DAG_FILE_IMPORT_TIMEOUT"] = "60"
    baton.start()
    baton.wait_for_dag("idle")
    baton.wait_until("the hanging import to start", pid_file.exists)
    # The import hangs for 60 s; the stop does not wait for it (a few seconds at most on a
    # loaded machine; the idle stop's own figure is the test above).
    assert _stop_time(baton) < 10.0
    hanging = int(pid_file.read_text())
    baton.wait_until("the hanging import's process to be gone", lambda: not _alive(hanging), 5)
