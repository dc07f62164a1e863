"""``make bench``: the workloads of ../shared/BENCHMARKS.md through the real path.

Each repetition gets a fresh BATON_HOME and SQLite database, writes the DAG files, starts
the real ``baton scheduler`` process with the local executor, triggers through the library
(as the CLI does) and reads the timings the scheduler stored. A sampler thread records the
peak RSS of the scheduler process and of the loader's process tree.

Prints a table of medians and spreads and writes JSON to $BENCH_OUT (bench-results.json).
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import psutil
from sqlalchemy import func, select

from scheduler import api
from scheduler.settings import Settings
from scheduler.store.db import make_engine
from scheduler.store.migrate import migrate
from scheduler.store.models import DagRow, DagRunRow, TaskTryRow

BATON = str(Path(sys.executable).with_name("baton"))
REPEATS = int(os.environ.get("BENCH_REPEATS", "3"))

NOOP = "def noop():\n    return None\n"

W1 = """
from datetime import datetime, timezone
from scheduler import DAG, PythonOperator
{noop}
with DAG("w1_wide", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
         max_active_tasks=1000) as dag:
    start = PythonOperator(task_id="start", python_callable=noop)
    join = PythonOperator(task_id="join", python_callable=noop)
    for i in range(200):
        start >> PythonOperator(task_id=f"t{{i:03d}}", python_callable=noop) >> join
"""

W2 = """
from datetime import datetime, timezone
from scheduler import DAG, PythonOperator, chain
{noop}
with DAG("w2_chain", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc)) as dag:
    chain(*[PythonOperator(task_id=f"t{{i:02d}}", python_callable=noop) for i in range(50)])
"""

W3 = """
from datetime import datetime, timezone
from scheduler import DAG, PythonOperator
{noop}
with DAG("{dag_id}", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
         max_active_runs=100) as dag:
    start = PythonOperator(task_id="start", python_callable=noop)
    end = PythonOperator(task_id="end", python_callable=noop)
    for i in range(8):
        start >> PythonOperator(task_id=f"p{{i}}", python_callable=noop) >> end
"""

MAP_N = int(os.environ.get("BENCH_MAP_N", "10000"))

# The same N no-op tasks after one root, written out (FAN) or mapped over the root's result.
FAN = """
from datetime import datetime, timezone
from scheduler import DAG, PythonOperator
{noop}
with DAG("fan_static", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
         max_active_tasks=100000) as dag:
    root = PythonOperator(task_id="root", python_callable=noop)
    root >> [PythonOperator(task_id=f"t{{i:05d}}", python_callable=noop) for i in range({n})]
"""

MAPPED = """
from datetime import datetime, timezone
from scheduler import DAG, task

with DAG("fan_mapped", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
         max_active_tasks=100000) as dag:
    @task
    def root():
        return list(range({n}))

    @task
    def noop(x):
        return None

    noop.expand(x=root())
"""


CHAIN = """
from datetime import datetime, timezone
from scheduler import DAG, PythonOperator, chain
{noop}
with DAG("chain", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc)) as dag:
    chain(*[PythonOperator(task_id=f"t{{i:03d}}", python_callable=noop) for i in range({n})])
"""


class Sampler(threading.Thread):
    """Peak RSS of the scheduler process and of its loader's process tree."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.root = psutil.Process(pid)
        self.scheduler_peak = 0
        self.loader_peak = 0
        self.cpu_s = 0.0
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            with contextlib.suppress(psutil.Error):
                self._sample()
            self._halt.wait(0.01)

    def _sample(self) -> None:
        self.scheduler_peak = max(self.scheduler_peak, self.root.memory_info().rss)
        for child in self.root.children():
            try:
                if child.name() == "baton-loader":
                    # PSS, not RSS: forked children share most pages with the loader, and
                    # summing their RSS would count those pages once per child.
                    tree = [child, *child.children(recursive=True)]
                    pss = sum(p.memory_full_info().pss for p in tree)
                    self.loader_peak = max(self.loader_peak, pss)
            except psutil.Error:
                continue

    def stop(self) -> None:
        try:
            procs = [self.root, *self.root.children(recursive=True)]
            own = sum(sum(p.cpu_times()[:2]) for p in procs)
            reaped = self.root.cpu_times()
            self.cpu_s = own + reaped.children_user + reaped.children_system
        except psutil.Error:
            pass
        self._halt.set()


class Bench:
    """One repetition: a fresh home, DAG files, a scheduler process."""

    def __init__(self, files: dict[str, str], schedulers: int = 1, **settings: str) -> None:
        self.schedulers = schedulers  # more than 1: on PostgreSQL, each with its own home
        self.extra: list[subprocess.Popen[bytes]] = []
        self.tmp = tempfile.TemporaryDirectory(prefix="baton-bench-")
        root = Path(self.tmp.name)
        (root / "dags").mkdir()
        for name, text in files.items():
            (root / "dags" / name).write_text(text)
        self.env = {
            **os.environ,
            "BATON_HOME": str(root / "home"),
            "BATON_DAGS_FOLDER": str(root / "dags"),
            "BATON_DATABASE_URL": f"sqlite:///{root / 'home' / 'baton.db'}",
            "BATON_DAGS_ARE_PAUSED_AT_CREATION": "false",
            "BATON_LOG_LEVEL": "WARNING",
            **settings,
        }
        self.settings = Settings.from_env(self.env)
        self.db = make_engine(self.settings.database_url)
        migrate(self.db)
        self.process: subprocess.Popen[bytes] | None = None
        self.sampler: Sampler | None = None

    def start(self) -> float:
        started = time.monotonic()
        self.process = subprocess.Popen(
            [BATON, "scheduler"], env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        atexit.register(self._kill_left_running)  # a workload that raised never finished
        self.sampler = Sampler(self.process.pid)
        self.sampler.start()
        for n in range(2, self.schedulers + 1):  # as on other machines: a home of its own
            env = {**self.env, "BATON_HOME": str(Path(self.tmp.name) / f"home{n}")}
            self.extra.append(
                subprocess.Popen(
                    [BATON, "scheduler"],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        return started

    def _kill_left_running(self) -> None:
        for process in [self.process, *self.extra]:
            if process is not None and process.poll() is None:
                process.kill()

    def wait(self, what: str, condition: Callable[[], Any], timeout: float = 120) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = condition()
            if value:
                return value
            assert self.process and self.process.poll() is None, self.process.stderr.read()
            time.sleep(0.005)
        raise TimeoutError(what)

    def known_dags(self) -> int:
        # A cheap count: polling must not steal the CPU the scheduler is measured on.
        with self.db.connect() as conn:
            return conn.execute(
                select(func.count()).select_from(DagRow).where(DagRow.is_active.is_(True))
            ).scalar_one()

    def runs(self) -> list[DagRunRow]:
        with self.db.connect() as conn:
            return list(conn.execute(select(DagRunRow)).all())

    def tries(self) -> list[Any]:
        with self.db.connect() as conn:
            return list(conn.execute(select(TaskTryRow)).all())

    def finish(self) -> tuple[float, float, float]:
        assert self.process and self.sampler
        self.sampler.stop()
        # Every process of the tree, taken before the stop: a worker killed with its
        # scheduler may still be writing a log when the scheduler is gone, and removing the
        # folder under it fails ("Directory not empty").
        tree = []
        for process in [self.process, *self.extra]:
            with contextlib.suppress(psutil.Error):
                tree += psutil.Process(process.pid).children(recursive=True)
        for process in [self.process, *self.extra]:
            process.send_signal(signal.SIGTERM)
        for process in [self.process, *self.extra]:
            process.wait(timeout=60)
        _, alive = psutil.wait_procs(tree, timeout=10)
        for straggler in alive:
            with contextlib.suppress(psutil.Error):
                straggler.kill()
        psutil.wait_procs(alive, timeout=5)
        self.sampler.join()
        self.tmp.cleanup()
        mb = 1024 * 1024
        return self.sampler.scheduler_peak / mb, self.sampler.loader_peak / mb, self.sampler.cpu_s


def trigger_and_wait(
    bench: Bench, dag_ids: list[str], timeout: float = 120
) -> tuple[datetime, datetime]:
    t0 = datetime.now().astimezone()
    for dag_id in dag_ids:
        api.trigger_dag(bench.settings, dag_id)
    done = bench.wait(
        "runs finished",
        lambda: (
            (rs := bench.runs())
            and all(r.state in ("success", "failed") for r in rs)
            and len(rs) >= len(dag_ids)
            and rs
        ),
        timeout,
    )
    failed = [r for r in done if r.state != "success"]
    if failed:
        raise RuntimeError(f"{len(failed)} run(s) failed: {failed[0].run_id}")
    return t0, max(r.end_date for r in done)


def w1() -> dict[str, float]:
    return w1_measure(Bench({"w1.py": W1.format(noop=NOOP)}))


def w1_measure(bench: Bench) -> dict[str, float]:
    bench.start()
    bench.wait("w1 parsed", lambda: bench.known_dags() == 1)
    t0, t1 = trigger_and_wait(bench, ["w1_wide"])
    sched, _, cpu = bench.finish()
    wall = (t1 - t0).total_seconds()
    return {"wall_s": wall, "tasks_per_s": 202 / wall, "scheduler_rss_mb": sched, "cpu_s": cpu}


def w2() -> dict[str, float]:
    return w2_measure(Bench({"w2.py": W2.format(noop=NOOP)}))


def w2_measure(bench: Bench) -> dict[str, float]:
    bench.start()
    bench.wait("w2 parsed", lambda: bench.known_dags() == 1)
    t0, t1 = trigger_and_wait(bench, ["w2_chain"])
    tries = sorted(bench.tries(), key=lambda t: t.task_id)
    sched, _, cpu = bench.finish()
    hops = [
        (b.start_date - a.end_date).total_seconds() * 1000 for a, b in itertools.pairwise(tries)
    ]
    q = statistics.quantiles(hops, n=100)
    return {
        "wall_s": (t1 - t0).total_seconds(),
        "hop_p50_ms": statistics.median(hops),
        "hop_p95_ms": q[94],
        "scheduler_rss_mb": sched,
        "cpu_s": cpu,
    }


def w3() -> dict[str, float]:
    return w3_measure(Bench({"w3.py": W3.format(noop=NOOP, dag_id="w3_runs")}))


def w3_measure(bench: Bench) -> dict[str, float]:
    bench.start()
    bench.wait("w3 parsed", lambda: bench.known_dags() == 1)
    t0, t1 = trigger_and_wait(bench, ["w3_runs"] * 20)
    sched, _, cpu = bench.finish()
    wall = (t1 - t0).total_seconds()
    return {"wall_s": wall, "tasks_per_s": 200 / wall, "scheduler_rss_mb": sched, "cpu_s": cpu}


def w4() -> dict[str, float]:
    files = {f"w4_{i:03d}.py": W3.format(noop=NOOP, dag_id=f"w4_{i:03d}") for i in range(500)}
    bench = Bench(files)
    started = bench.start()
    bench.wait("500 DAGs listed", lambda: bench.known_dags() == 500, timeout=300)
    wall = time.monotonic() - started
    sched, loader, cpu = bench.finish()
    return {"wall_s": wall, "peak_rss_mb": loader, "scheduler_rss_mb": sched, "cpu_s": cpu}


def fan(kind: str, n: int = MAP_N) -> dict[str, float]:
    """One root, then ``n`` no-op tasks: written out (static) or mapped over its result."""
    dag_id, text = (
        ("fan_static", FAN.format(noop=NOOP, n=n))
        if kind == "static"
        else ("fan_mapped", MAPPED.format(n=n))
    )
    bench = Bench({f"{dag_id}.py": text}, BATON_MAX_MAP_LENGTH=str(max(n, 1024)))
    return per_task(bench, dag_id, n + 1)


def chain_of(n: int) -> dict[str, float]:
    """``n`` no-op tasks in a chain: the scaling series' sequential end."""
    text = CHAIN.format(noop=NOOP, n=n)
    return per_task(Bench({"chain.py": text}), "chain", n)


def per_task(bench: Bench, dag_id: str, tasks: int) -> dict[str, float]:
    """One run of ``dag_id``: its wall and CPU time per task, and the scheduler's peak RSS."""
    bench.start()
    bench.wait(f"{dag_id} parsed", lambda: bench.known_dags() == 1, timeout=300)
    t0, t1 = trigger_and_wait(bench, [dag_id], timeout=1800)
    sched, _, cpu = bench.finish()
    wall = (t1 - t0).total_seconds()
    return {
        "wall_s": wall,
        "ms_per_task": wall * 1000 / tasks,
        "cpu_ms_per_task": cpu * 1000 / tasks,
        "scheduler_rss_mb": sched,
        "cpu_s": cpu,
    }


#: Issue 12's scaling series: a one-root fan-out of growing size, then a chain. Flat cost
#: per task means FAN10000's ms_per_task within 1.3x of FAN200's.
SCALING = {
    "FAN200": lambda: fan("static", 200),
    "FAN1000": lambda: fan("static", 1000),
    "FAN3000": lambda: fan("static", 3000),
    "FAN10000": lambda: fan("static", 10000),
    "CHAIN300": lambda: chain_of(300),
}


def scaling_ratio(results: dict[str, Any]) -> float | None:
    """FAN10000's wall per task over FAN200's (None unless both ran)."""
    if "FAN10000" in results and "FAN200" in results:
        return results["FAN10000"]["ms_per_task"] / results["FAN200"]["ms_per_task"]
    return None


def summarize(samples: list[dict[str, float]]) -> dict[str, dict[str, float]]:
    keys = samples[0].keys()
    return {
        k: {
            "median": statistics.median(s[k] for s in samples),
            "min": min(s[k] for s in samples),
            "max": max(s[k] for s in samples),
        }
        for k in keys
    }


def main() -> None:
    workloads = {
        "W1": w1,
        "W2": w2,
        "W3": w3,
        "W4": w4,
        # Issue 7: MAP_N mapped instances, and the static fan-out of the same size.
        "MAPPED": lambda: fan("mapped"),
        "STATIC": lambda: fan("static"),
        **SCALING,
    }
    default = [name for name in workloads if name != "STATIC"]  # STATIC: FAN10000 at MAP_N
    if "celery" in os.environ.get("BENCH_BACKENDS", "").split(","):
        # PostgreSQL, Redis and Celery workers: the issue-8 workloads (bench/celery_bench.py).
        import celery_bench

        workloads.update(celery_bench.WORKLOADS)
        default += list(celery_bench.WORKLOADS)
    elif any(name not in workloads for name in sys.argv[1:]):
        import celery_bench

        workloads.update(celery_bench.WORKLOADS)
    only = sys.argv[1:] or default
    results: dict[str, Any] = {}
    details: dict[str, Any] = {}
    sched_peaks = []
    for name in only:
        samples = [workloads[name]() for _ in range(REPEATS)]
        stats = summarize(samples)
        details[name] = stats
        results[name] = {
            k: round(v["median"], 4)
            for k, v in stats.items()
            if k not in ("scheduler_rss_mb", "cpu_s")
        }
        sched_peaks += [s["scheduler_rss_mb"] for s in samples]
    results["scheduler_peak_rss_mb"] = round(max(sched_peaks), 1)
    if (ratio := scaling_ratio(results)) is not None:
        results["scaling_ratio_10000_vs_200"] = round(ratio, 2)
    print_table(details)
    if ratio is not None:
        print(f"wall per task at 10,000 tasks / at 200: {ratio:.2f} (target <= 1.3)")
    print(f"scheduler peak RSS over all runs: {results['scheduler_peak_rss_mb']} MB")
    print(
        f"machine: {platform.node()} {platform.machine()} {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {REPEATS} repetitions"
    )
    out = Path(os.environ.get("BENCH_OUT", "bench-results.json"))
    out.write_text(json.dumps({**results, "details": details}, indent=2))
    print(f"written to {out}")


def print_table(details: dict[str, Any]) -> None:
    print(f"{'workload':<9}{'metric':<18}{'median':>10}{'min':>10}{'max':>10}")
    for name, stats in details.items():
        for metric, s in stats.items():
            print(f"{name:<9}{metric:<18}{s['median']:>10.3f}{s['min']:>10.3f}{s['max']:>10.3f}")


if __name__ == "__main__":
    main()
