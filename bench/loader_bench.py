"""Benchmark W4 for the loader: 500 W3-shaped DAG files, parsed one fork per file.

    .venv/bin/python bench/loader_bench.py [--files 500] [--parallelism 2] [--runs 3]

Two measurements, each repeated ``--runs`` times (median and spread printed):

1. ``parse_files`` from this (warm) process: wall time until all files are parsed.
2. The real path: a fresh ``LoaderProcess`` (spawned), from ``start()`` until its first
   ``ScanComplete`` has arrived with every DAG, i.e. until every DAG is listed.

Peak memory is the largest sum of RSS over the measured process tree (this process and its
parse children for 1; the loader and its children for 2), sampled every 2 ms by a separate
monitor process (a sampling thread here would be unsafe next to ``fork``). RSS counts pages
shared copy-on-write once per process, so the sum overstates the real use.
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import statistics
import tempfile
import time
from multiprocessing.connection import Connection, wait
from pathlib import Path

import psutil

from scheduler.loader import (
    FileParsed,
    LoaderProcess,
    ScanComplete,
    find_dag_files,
    parse_files,
)

DAG_FILE = """\
from datetime import datetime

from scheduler.authoring import DAG, PythonOperator


def noop():
    return None


with DAG("w4_{number:04d}", start_date=datetime(2024, 1, 1), schedule=None):
    start = PythonOperator(task_id="start", python_callable=noop)
    end = PythonOperator(task_id="end", python_callable=noop)
    for n in range(8):
        start >> PythonOperator(task_id=f"work_{{n}}", python_callable=noop) >> end
"""


def write_dag_files(folder: Path, count: int) -> None:
    for number in range(count):
        (folder / f"w4_{number:04d}.py").write_text(DAG_FILE.format(number=number))


def monitor(conn: Connection) -> None:
    """Sample the summed RSS of one process tree until told to stop; send the peak.

    The root's pid arrives first over ``conn``. This monitor and multiprocessing's
    resource tracker (both children of the benchmark) are left out.
    """
    conn.send("ready")
    root = psutil.Process(conn.recv())
    me = os.getpid()
    peak = 0
    while not conn.poll(0.002):
        try:
            tree = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            break
        total = 0
        for process in tree:
            with contextlib.suppress(psutil.NoSuchProcess):  # it ended meanwhile
                if process.pid != me and "resource_tracker" not in " ".join(process.cmdline()):
                    total += process.memory_info().rss
        peak = max(peak, total)
    conn.send(peak)


class Monitor:
    """A separate process that measures the peak RSS of the tree rooted at ``watch(pid)``."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self.conn, theirs = context.Pipe()
        self.process = context.Process(target=monitor, args=(theirs,), daemon=True)
        self.process.start()
        assert self.conn.recv() == "ready"  # psutil imported: sampling starts at once

    def watch(self, pid: int) -> None:
        self.conn.send(pid)

    def peak_mb(self) -> float:
        self.conn.send("stop")
        peak = self.conn.recv()
        self.process.join()
        return peak / 2**20


def bench_parse_files(
    folder: Path, parallelism: int, per_child: int | None
) -> tuple[float, float, int]:
    files = find_dag_files(folder)
    mon = Monitor()
    mon.watch(os.getpid())
    started = time.perf_counter()
    results = list(
        parse_files(files, timeout=30, parallelism=parallelism, files_per_child=per_child)
    )
    took = time.perf_counter() - started
    errors = sum(len(r.errors) for r in results)
    dags = sum(len(r.dags) for r in results)
    if errors:
        print("errors:", [e for r in results for e in r.errors][:3])
    return took, mon.peak_mb(), dags


def bench_loader_process(
    folder: Path, parallelism: int, per_child: int | None
) -> tuple[float, float, int]:
    mon = Monitor()  # started first: spawning it must not delay the loader
    loader = LoaderProcess(folder, 60, 30, parallelism, files_per_child=per_child)
    started = time.perf_counter()
    loader.start()
    mon.watch(loader.pid or 0)  # the loader and its children, not this process
    dags = 0
    done = False
    while not done:
        wait([loader.connection])
        for message in loader.receive_all():
            if isinstance(message, FileParsed):
                dags += len(message.result.dags)
            done = done or isinstance(message, ScanComplete)
    took = time.perf_counter() - started
    peak = mon.peak_mb()
    loader.stop()
    return took, peak, dags


def report(name: str, samples: list[tuple[float, float, int]]) -> None:
    walls = [s[0] for s in samples]
    peaks = [s[1] for s in samples]
    print(
        f"{name}: wall median {statistics.median(walls):.3f} s "
        f"(min {min(walls):.3f}, max {max(walls):.3f}); "
        f"peak tree RSS median {statistics.median(peaks):.0f} MB (max {max(peaks):.0f}); "
        f"DAGs {samples[-1][2]}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=500)
    parser.add_argument("--parallelism", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--files-per-child", type=int, default=None, help="1: a process per file (default: auto)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_dag_files(folder, args.files)
        par, per_child = args.parallelism, args.files_per_child
        print(
            f"{args.files} files, parallelism {par}, files per child {per_child or 'auto'}, "
            f"{os.cpu_count()} cores"
        )
        runs = range(args.runs)
        report(
            "parse_files (warm parent)",
            [bench_parse_files(folder, par, per_child) for _ in runs],
        )
        report(
            "LoaderProcess start -> all DAGs",
            [bench_loader_process(folder, par, per_child) for _ in runs],
        )


if __name__ == "__main__":
    main()
