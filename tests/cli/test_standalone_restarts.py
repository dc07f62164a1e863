"""``baton standalone`` restarts a child that dies (the scheduler, the web UI), with a
backoff, and says why; the restarted scheduler carries on with the runs."""

from __future__ import annotations

import re
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.harness import Baton

from .standalone import Standalone

pytestmark = pytest.mark.e2e

DAG = """
from scheduler import DAG, PythonOperator

with DAG("after_restart", schedule=None):
    PythonOperator(task_id="work", python_callable=lambda: "done")
"""


@pytest.fixture
def standalone(tmp_path: Path) -> Iterator[Standalone]:
    baton = Baton(tmp_path)
    baton.write_dag("after_restart.py", DAG)
    instance = Standalone(baton, cwd=tmp_path)
    try:
        yield instance
    finally:
        instance.kill()


def _restarted(standalone: Standalone, name: str, old_pid: int) -> int:
    """The pid of the new ``name`` child once it replaced ``old_pid``."""

    def new_pid() -> int | None:
        try:
            pid = standalone.child(name).pid
        except AssertionError:  # between the death and the restart
            return None
        return pid if pid != old_pid else None

    return standalone.wait_until(f"the {name} to be restarted", new_pid)


def test_a_dead_scheduler_or_webui_is_restarted_with_backoff_and_the_reason(
    standalone: Standalone,
) -> None:
    standalone.start()
    standalone.wait_healthy()

    first = standalone.child("scheduler").pid
    standalone.child("scheduler").send_signal(signal.SIGKILL)
    second = _restarted(standalone, "scheduler", first)
    assert f"The scheduler (pid {first}) was killed by SIGKILL; restarting it in 1 s" in (
        standalone.text()
    )
    assert f"Restarted the scheduler (pid {second})." in standalone.text()

    # Dying again soon after its start doubles the wait.
    standalone.wait_until("the scheduler's heartbeat", lambda: standalone.health())
    standalone.child("scheduler").send_signal(signal.SIGKILL)
    third = _restarted(standalone, "scheduler", second)
    assert f"The scheduler (pid {second}) was killed by SIGKILL; restarting it in 2 s" in (
        standalone.text()
    )

    webui = standalone.child("webui").pid
    standalone.child("webui").send_signal(signal.SIGKILL)
    _restarted(standalone, "webui", webui)
    assert re.search(
        rf"The webui \(pid {webui}\) was killed by SIGKILL; restarting", (standalone.text())
    )

    body = standalone.wait_healthy()  # the new web UI answers, the new scheduler beats
    assert body["scheduler"]["status"] == "healthy"
    assert standalone.child("scheduler").pid == third
    run_id = standalone.baton.trigger("after_restart")
    assert standalone.baton.wait_for_run("after_restart", run_id, timeout=90) == "success"
    assert standalone.stop() == 0


def test_a_scheduler_that_exits_by_itself_is_restarted_and_its_status_shown(
    standalone: Standalone,
) -> None:
    standalone.start()
    standalone.wait_healthy()
    # Standalone stops only when it is asked to: a scheduler that ends by itself (here a
    # SIGTERM sent to it alone, a clean exit) is started again too.
    pid = standalone.child("scheduler").pid
    standalone.child("scheduler").send_signal(signal.SIGTERM)
    _restarted(standalone, "scheduler", pid)
    assert f"The scheduler (pid {pid}) exited with status 0; restarting it in 1 s" in (
        standalone.text()
    )
    standalone.wait_healthy()
    assert standalone.stop() == 0
