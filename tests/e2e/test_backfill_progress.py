"""``baton backfill create`` in a terminal: the live progress bar (counts, rate, ETA), and
Ctrl-C detaches while the scheduler goes on with the backfill."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import time
from pathlib import Path

import pytest

from scheduler.api import backfills
from tests.e2e.harness import BATON, Baton
from tests.e2e.test_backfill import DAILY, _runs

pytestmark = pytest.mark.e2e


def _read_until(fd: int, words: str, timeout: float) -> str:
    """What the terminal shows until ``words`` appear in it."""
    seen, deadline = b"", time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            try:
                seen += os.read(fd, 65536)
            except OSError:  # the process closed the terminal
                break
            if words.encode() in seen:
                return seen.decode(errors="replace")
    raise AssertionError(f"{words!r} never appeared; the terminal showed:\n{seen.decode()}")


def test_the_bar_in_a_terminal_and_ctrl_c_detaches(tmp_path: Path) -> None:
    baton = Baton(tmp_path, parallelism="2")
    try:
        baton.write_dag("daily.py", DAILY)
        (baton.home / "slow.txt").write_text("1.5")
        baton.start()
        baton.wait_for_dag("daily")
        leader, follower = pty.openpty()
        env = {**baton.env, "COLUMNS": "200", "TERM": "xterm"}
        command = [BATON, "backfill", "create", "--dag-id", "daily"]
        command += ["--from-date", "2025-03-01", "--to-date", "2025-03-10"]
        process = subprocess.Popen(
            [*command, "--max-active-runs", "1"],
            env=env,
            stdin=follower,
            stdout=follower,
            stderr=follower,
        )
        os.close(follower)
        try:
            shown = _read_until(leader, "1/10", 120)  # the first run has ended
            assert "backfill 1" in shown and "1 ok" in shown and "9 left" in shown
            assert "runs/min" in shown and "ETA" in shown
            process.send_signal(signal.SIGINT)
            shown = _read_until(leader, "baton backfill cancel 1", 60)
            assert "Detached: backfill 1 keeps running in the scheduler" in shown
            assert process.wait(timeout=30) == 0
        finally:
            if process.poll() is None:
                process.kill()
            os.close(leader)
        (baton.home / "slow.txt").unlink()
        final = baton.wait_until(
            "the detached backfill to complete",
            lambda: (v := backfills.get_backfill(baton.settings, 1)).row.completed_at and v,
            90,
        )
        assert final.progress.success == 10 and len(_runs(baton, "2025-03-01")) == 10
    finally:
        baton.stop()
