"""``baton db migrate`` itself, on a fresh and on an up-to-date database (the end-to-end
harness migrates in-process from a template, so this is where the command is run)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

BATON = str(Path(sys.executable).with_name("baton"))


def _migrate(home: Path) -> subprocess.CompletedProcess[str]:
    env = {"BATON_HOME": str(home), "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [BATON, "db", "migrate"], env=env, capture_output=True, text=True, timeout=120
    )


def test_migrate_creates_the_schema_then_is_a_no_op(tmp_path: Path) -> None:
    first = _migrate(tmp_path / "home")
    assert first.returncode == 0, first.stderr
    assert "is at revision 0001" in first.stdout
    database = tmp_path / "home" / "baton.db"
    with sqlite3.connect(database) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert {"dag", "dag_run", "task_instance", "event_log"} <= tables

    again = _migrate(tmp_path / "home")
    assert again.returncode == 0, again.stderr
    assert "is at revision 0001" in again.stdout
