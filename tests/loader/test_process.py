"""LoaderProcess: a real loader child that follows the DAG folder and reports over a pipe."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from multiprocessing.connection import wait
from pathlib import Path

import psutil
import pytest

from scheduler.errors import LoaderError
from scheduler.loader import (
    FileParsed,
    FilesDeleted,
    LoaderMessage,
    LoaderProcess,
    ScanComplete,
)

from .dag_sources import good_dag

DEADLINE_S = 30  # generous: only bounds a hang, the events come much sooner


@pytest.fixture
def start_loader(dags: Path) -> Iterator[Callable[..., LoaderProcess]]:
    started: list[LoaderProcess] = []

    def _start(interval: float = 0.2) -> LoaderProcess:
        loader = LoaderProcess(dags, interval=interval, timeout=10, parallelism=2)
        loader.start()
        started.append(loader)
        return loader

    yield _start
    for loader in started:
        loader.stop()


def receive_until(
    loader: LoaderProcess, done: Callable[[LoaderMessage], bool]
) -> list[LoaderMessage]:
    """Every message up to and including the first one for which ``done`` is true."""
    received: list[LoaderMessage] = []
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        wait([loader.connection], timeout=deadline - time.monotonic())
        for message in loader.receive_all():
            received.append(message)
            if done(message):
                return received
    raise AssertionError(f"no matching message within {DEADLINE_S} s; got {received}")


def scan_with(path: Path) -> Callable[[LoaderMessage], bool]:
    return lambda m: isinstance(m, ScanComplete) and str(path) in m.files


def scan_without(path: Path) -> Callable[[LoaderMessage], bool]:
    return lambda m: isinstance(m, ScanComplete) and str(path) not in m.files


def parsed(messages: list[LoaderMessage]) -> dict[str, list[str]]:
    """path -> the dag_ids of its latest FileParsed among ``messages``."""
    out: dict[str, list[str]] = {}
    for m in messages:
        if isinstance(m, FileParsed):
            out[m.result.path] = [spec.dag_id for spec in m.result.dags]
    return out


def test_initial_parse_then_edits_and_deletions_are_picked_up(start_loader, write):
    a = write("a.py", good_dag("alpha"))
    b = write("sub/b.py", good_dag("beta"))
    loader = start_loader()

    first = receive_until(loader, lambda m: isinstance(m, ScanComplete))
    assert parsed(first) == {str(a): ["alpha"], str(b): ["beta"]}
    assert first[-1].files == sorted([str(a), str(b)])

    a.write_text(good_dag("alpha_v2", ("x", "y", "z")))
    edited = receive_until(loader, lambda m: isinstance(m, FileParsed))
    [spec] = edited[-1].result.dags
    assert (spec.dag_id, list(spec.tasks)) == ("alpha_v2", ["x", "y", "z"])

    b.unlink()
    gone = receive_until(loader, scan_without(b))
    assert [m.paths for m in gone if isinstance(m, FilesDeleted)] == [[str(b)]]
    assert gone[-1].files == [str(a)]


def test_unchanged_files_are_not_parsed_again(start_loader, write):
    write("a.py", good_dag("alpha"))
    loader = start_loader(interval=0.05)
    receive_until(loader, lambda m: isinstance(m, ScanComplete))

    later = []
    for _ in range(3):  # three more passes
        later += receive_until(loader, lambda m: isinstance(m, ScanComplete))

    assert [type(m) for m in later] == [ScanComplete] * 3


def test_request_rescan_scans_now_and_full_rescan_parses_everything(start_loader, write):
    a = write("a.py", good_dag("alpha"))
    loader = start_loader(interval=3600)
    receive_until(loader, lambda m: isinstance(m, ScanComplete))

    new = write("new.py", good_dag("fresh"))
    loader.request_rescan()
    assert parsed(receive_until(loader, scan_with(new))) == {str(new): ["fresh"]}

    loader.request_rescan(full=True)
    again = receive_until(loader, lambda m: isinstance(m, ScanComplete))
    assert parsed(again) == {str(a): ["alpha"], str(new): ["fresh"]}


def test_a_dag_id_freed_by_a_deleted_file_goes_to_its_other_declarer(start_loader, write):
    first = write("a.py", good_dag("shared"))
    second = write("b.py", good_dag("shared"))
    loader = start_loader()
    initial = receive_until(loader, lambda m: isinstance(m, ScanComplete))
    owners = [path for path, ids in parsed(initial).items() if ids == ["shared"]]
    assert len(owners) == 1

    owner = Path(owners[0])
    other = second if owner == first else first
    owner.unlink()
    after = receive_until(loader, scan_without(owner))

    assert parsed(after) == {str(other): ["shared"]}


def test_a_loader_that_dies_is_replaced_and_parses_again(start_loader, write):
    a = write("a.py", good_dag("alpha"))
    loader = start_loader()
    receive_until(loader, lambda m: isinstance(m, ScanComplete))
    old_pid = loader.pid
    assert old_pid is not None

    os.kill(old_pid, signal.SIGKILL)
    again = receive_until(loader, lambda m: isinstance(m, ScanComplete))

    assert loader.restarts == 1
    assert loader.pid != old_pid
    assert parsed(again) == {str(a): ["alpha"]}


def test_a_loader_that_keeps_dying_before_reporting_is_an_error(start_loader, write):
    # A file that hangs (within the 10 s timeout) keeps the first scan from ever reporting.
    write("slow.py", "from scheduler.authoring import DAG\nimport time\ntime.sleep(3600)\n")
    loader = start_loader()
    with pytest.raises(LoaderError, match="died 3 times in a row"):
        for _ in range(3):
            os.kill(loader.pid, signal.SIGKILL)  # still importing: it has sent nothing
            wait([loader.connection], timeout=DEADLINE_S)
            assert loader.receive_all() == []


def long_lived_children(process: psutil.Process) -> list[psutil.Process]:
    """The children of ``process`` once some have been alive for half a second."""
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        kids = [k for k in process.children() if k.status() != psutil.STATUS_ZOMBIE]
        if kids and all(time.time() - k.create_time() > 0.5 for k in kids):
            return kids
        time.sleep(0.05)
    raise AssertionError(f"{process} started no long-lived child within {DEADLINE_S} s")


def test_stop_ends_the_loader_and_its_parse_children(start_loader, write):
    write("hung.py", "from scheduler.authoring import DAG\nimport time\ntime.sleep(3600)\n")
    loader = start_loader()
    process = psutil.Process(loader.pid)
    children = long_lived_children(process)  # the child stuck importing hung.py

    loader.stop(timeout=0.2)  # it is busy with hung.py: terminated

    for proc in [process, *children]:
        proc.wait(timeout=DEADLINE_S)  # psutil.TimeoutExpired if it is still alive


SCHEDULER_STAND_IN = """
import sys, time
from scheduler.loader import LoaderProcess
loader = LoaderProcess(sys.argv[1], interval=0.2, timeout=10, parallelism=1)
loader.start()
print(loader.pid, flush=True)
time.sleep(3600)
"""


def test_the_loader_dies_with_its_parent(dags):
    parent = subprocess.Popen(
        [sys.executable, "-c", SCHEDULER_STAND_IN, str(dags)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        loader = psutil.Process(int(parent.stdout.readline()))
    finally:
        parent.kill()
        parent.wait()

    loader.wait(timeout=DEADLINE_S)  # raises psutil.TimeoutExpired if it outlived its parent
