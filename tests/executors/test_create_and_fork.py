"""Choosing an executor from the settings; what a worker does right after fork."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from scheduler.errors import ConfigError
from scheduler.executors import (
    InlineExecutor,
    LocalExecutor,
    after_fork_in_worker,
    create_executor,
    describe_exit,
    register_after_fork_in_worker,
)
from scheduler.settings import Settings

from .support import Workspace

REPO = Path(__file__).resolve().parents[2]


def settings(tmp_path: Path, **values: str) -> Settings:
    env = {"BATON_HOME": str(tmp_path), **values}
    return Settings.from_env(env)


def test_create_executor_builds_the_configured_back_end(tmp_path: Path) -> None:
    local = create_executor(settings(tmp_path, BATON_PARALLELISM="3"))
    assert isinstance(local, LocalExecutor)
    assert local.parallelism == 3
    assert isinstance(create_executor(settings(tmp_path, BATON_EXECUTOR="inline")), InlineExecutor)


def test_an_unknown_executor_name_lists_the_known_ones(tmp_path: Path) -> None:
    bad = Settings(home=tmp_path, dags_folder=tmp_path, database_url="sqlite://", executor="k8s")
    with pytest.raises(
        ConfigError, match=r"BATON_EXECUTOR='k8s' is unknown; use one of: celery, inline, local"
    ):
        create_executor(bad)


def test_describe_exit() -> None:
    assert describe_exit(3) == "exited with code 3"
    assert describe_exit(-6) == "killed by signal SIGABRT (6)"
    assert describe_exit(-9).startswith("killed by signal SIGKILL (9); if nobody killed it")


@pytest.fixture
def hook_file(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "hooks"
    folder.mkdir()

    def hook() -> None:
        (folder / str(os.getpid())).write_text(str(os.getpgid(0)))

    register_after_fork_in_worker(hook)
    yield folder
    after_fork_in_worker.remove(hook)


def test_after_fork_hooks_run_in_each_worker_which_leads_its_own_group(hook_file: Path) -> None:
    executor = LocalExecutor(parallelism=2)
    executor.start()
    try:
        pids = {str(p.pid) for p in psutil.Process().children() if p.name() != "bash"}
        give_up = time.monotonic() + 10
        while len(list(hook_file.iterdir())) < 2 and time.monotonic() < give_up:
            time.sleep(0.01)
    finally:
        executor.shutdown()
    written = {path.name: path.read_text() for path in hook_file.iterdir()}
    assert len(written) == 2
    assert set(written) <= pids
    assert all(pid == pgid for pid, pgid in written.items())


SCHEDULER_SCRIPT = """
    import sys, time
    from multiprocessing.connection import wait
    from scheduler.executor import TaskStarted
    from scheduler.executors import LocalExecutor
    from tests.executors.support import Workspace

    executor = LocalExecutor(parallelism=2)
    executor.start()
    space = Workspace.existing(sys.argv[1])
    for try_number in (1, 2):
        executor.submit(space.request("sleep", try_number=try_number))
    pids = set()
    while len(pids) < 2:  # both workers busy in time.sleep(30)
        wait(executor.wait_handles())
        pids |= {e.pid for e in executor.collect() if isinstance(e, TaskStarted)}
    print(" ".join(map(str, pids)), flush=True)
    time.sleep(60)
"""


def test_busy_workers_die_with_the_scheduler(tmp_path: Path) -> None:
    Workspace(tmp_path)
    script = tmp_path / "fake_scheduler.py"
    script.write_text(textwrap.dedent(SCHEDULER_SCRIPT))
    parent = subprocess.Popen(
        [sys.executable, str(script), str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    pids = [int(pid) for pid in parent.stdout.readline().split()]
    assert len(pids) == 2
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    parent.stdout.close()
    give_up = time.monotonic() + 10
    while any(_running(pid) for pid in pids) and time.monotonic() < give_up:
        time.sleep(0.01)
    assert [pid for pid in pids if _running(pid)] == []


def _running(pid: int) -> bool:
    """Alive and not a zombie (an orphan's zombie may wait for a lazy init to reap it)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
