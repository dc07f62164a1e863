"""The supervisor of ``baton standalone`` with real child processes (small Python programs
instead of the scheduler and the web UI) and a fast restart policy."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from scheduler.cli.supervisor import RestartPolicy, Supervisor, describe_exit


def test_the_backoff_doubles_up_to_its_cap() -> None:
    policy = RestartPolicy(first_s=1.0, max_s=30.0)
    assert [policy.delay_s(n) for n in range(1, 8)] == [1, 2, 4, 8, 16, 30, 30]


def test_an_exit_is_described_by_its_status_or_signal() -> None:
    assert describe_exit(1) == "exited with status 1"
    assert describe_exit(0) == "exited with status 0"
    assert describe_exit(-9) == "was killed by SIGKILL"
    assert describe_exit(-15) == "was killed by SIGTERM"


def _programs(tmp_path: Path) -> dict[str, Sequence[str]]:
    """'flaky' appends a line to a file and exits 3; 'steady' runs until stopped."""
    starts = tmp_path / "starts"
    flaky = f"open({str(starts)!r}, 'a').write('x\\n'); raise SystemExit(3)"
    return {"flaky": ["-c", flaky], "steady": ["-c", "import time; time.sleep(600)"]}


def _start(args: Sequence[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, *args])


def test_a_child_that_keeps_dying_is_restarted_with_growing_delays(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    supervisor = Supervisor(
        _programs(tmp_path), RestartPolicy(first_s=0.1, max_s=0.4, stable_s=60), start=_start
    )
    supervisor.start()
    steady = supervisor.pid("steady")
    stopper = threading.Timer(2.5, lambda: setattr(supervisor.requests, "count", 1))
    stopper.start()
    began = time.monotonic()
    assert supervisor.run() == 0
    assert time.monotonic() - began < 10
    err = capsys.readouterr().err
    delays = [line.split(" in ")[1].split(" s")[0] for line in err.splitlines() if "exited" in line]
    assert delays[:4] == ["0.1", "0.2", "0.4", "0.4"]  # doubling, then capped
    assert all("The flaky (pid " in line for line in err.splitlines() if "exited" in line)
    assert "exited with status 3; restarting it in 0.1 s (restart 1)." in err
    assert "Restarted the flaky (pid " in err
    starts = (tmp_path / "starts").read_text().count("x")
    assert 4 <= starts <= 10  # restarted, but not in a tight loop
    # The steady child was never restarted, and stopping ended it.
    assert supervisor.pid("steady") == steady and "steady" not in err
    steady_child = next(c for c in supervisor.children if c.name == "steady")
    assert steady_child.process is not None and steady_child.process.poll() is not None


def test_a_child_that_was_up_long_enough_starts_over_at_the_first_delay(tmp_path: Path) -> None:
    supervisor = Supervisor(
        _programs(tmp_path), RestartPolicy(first_s=0.1, max_s=5, stable_s=0.0), start=_start
    )
    supervisor.start()
    threading.Timer(1.5, lambda: setattr(supervisor.requests, "count", 1)).start()
    supervisor.run()
    flaky = next(c for c in supervisor.children if c.name == "flaky")
    assert flaky.restarts >= 2 and flaky.quick_failures == 1  # no death counted as quick


def test_a_child_that_cannot_be_started_again_is_retried_later(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    calls = []

    def start(args: Sequence[str]) -> subprocess.Popen[bytes]:
        calls.append(args)
        if len(calls) == 2:  # the first restart: no process can be created
            raise OSError(11, "Resource temporarily unavailable")
        return _start(args)

    programs = {"flaky": _programs(tmp_path)["flaky"]}
    supervisor = Supervisor(programs, RestartPolicy(first_s=0.05, max_s=0.1), start=start)
    supervisor.start()
    threading.Timer(1.5, lambda: setattr(supervisor.requests, "count", 1)).start()
    assert supervisor.run() == 0
    err = capsys.readouterr().err
    assert "Could not start the flaky ([Errno 11] Resource temporarily unavailable)" in err
    assert len(calls) >= 3 and "Restarted the flaky" in err
