"""Several schedulers on one PostgreSQL database, none of them special, through real
processes: they share the DAGs out, a killed one's DAGs, runs and tries are taken over by
the other within seconds, and no try runs twice at once, checked from a ledger the tasks
write themselves (a flock per task instance, taken for the whole try).

The Celery variant adds two ``baton celery worker`` processes and kills a worker too.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from scheduler import api
from scheduler.store.db import make_engine, transaction
from scheduler.store.models import dag_table, event_table, scheduler_job_table
from tests.e2e.harness import BATON, Baton
from tests.executors.celery_support import BROKERS, CeleryWorker, worker_env

pytestmark = pytest.mark.e2e

DAG = """
import fcntl, os, time
from datetime import datetime, timezone
from pathlib import Path
from scheduler import DAG, PythonOperator

LEDGER = Path(os.environ["LEDGER_DIR"])

def work(seconds, ti):
    name = f"{{ti.dag_id}}.{{ti.run_id}}.{{ti.task_id}}"
    with open(LEDGER / (name + ".lock"), "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            overlap = True
        else:
            overlap = False
        with open(LEDGER / "ledger.txt", "a") as ledger:
            ledger.write(f"{{'overlap' if overlap else 'start'}} {{name}} {{ti.try_number}}\\n")
        time.sleep(seconds)
        with open(LEDGER / "ledger.txt", "a") as ledger:
            ledger.write(f"end {{name}} {{ti.try_number}}\\n")

with DAG("{dag_id}", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
         max_active_runs=20, default_args={{"retries": 0{queue}}}):
    first = PythonOperator(task_id="first", python_callable=work, op_args=[0.05])
    middle = [PythonOperator(task_id=f"m{{i}}", python_callable=work, op_args=[{seconds}])
              for i in range(4)]
    last = PythonOperator(task_id="last", python_callable=work, op_args=[0.05])
    first >> middle >> last
"""
DAG_IDS = ("alpha", "beta")
TASKS = ("first", "m0", "m1", "m2", "m3", "last")


class Cluster:
    """Two schedulers (the harness's process and a second one) on one database."""

    def __init__(self, root: Path, database: str, **settings: str) -> None:
        self.ledger = root / "ledger"
        self.ledger.mkdir()
        self.baton = Baton(
            root,
            database_url=database,
            scheduler_health_threshold="3",
            scheduler_heartbeat_sec="0.5",
            task_instance_heartbeat_timeout="3",
            **settings,
        )
        self.baton.env["LEDGER_DIR"] = str(self.ledger)
        self.second: subprocess.Popen[bytes] | None = None
        self.second_log = root / "scheduler2.log"

    def write_dags(self, seconds: float, queue: str = "") -> None:
        queue_arg = f', "queue": "{queue}"' if queue else ""
        for dag_id in DAG_IDS:
            source = DAG.format(dag_id=dag_id, seconds=seconds, queue=queue_arg)
            self.baton.write_dag(f"{dag_id}.py", source)

    def start_both(self) -> None:
        self.baton.start()
        for dag_id in DAG_IDS:
            self.baton.wait_for_dag(dag_id)
        self.start_second()
        self.baton.wait_until("each scheduler to own one DAG", lambda: len(self.owners()) == 2)

    def start_second(self) -> None:
        """A scheduler with a home of its own, as on another machine: pokes reach it only
        through PostgreSQL's NOTIFY."""
        env = {**self.baton.env, "BATON_HOME": str(self.baton.root / "home2")}
        with open(self.second_log, "ab") as out:
            self.second = subprocess.Popen(
                [BATON, "scheduler"], env=env, stdout=out, stderr=subprocess.STDOUT
            )

    def owners(self) -> dict[int, set[str]]:
        engine = make_engine(self.baton.env["BATON_DATABASE_URL"])
        try:
            with transaction(engine) as session:
                rows = session.execute(select(dag_table.c.dag_id, dag_table.c.scheduler_job_id))
                owners: dict[int, set[str]] = {}
                for dag_id, owner in rows:
                    if owner is not None:
                        owners.setdefault(owner, set()).add(dag_id)
                return owners
        finally:
            engine.dispose()

    def queued_transitions(self) -> Counter[tuple[str, str, str, str]]:
        """How often each try went scheduled -> queued (1 each: no try queued twice)."""
        engine = make_engine(self.baton.env["BATON_DATABASE_URL"])
        try:
            with transaction(engine) as session:
                rows = session.execute(
                    select(
                        event_table.c.dag_id,
                        event_table.c.run_id,
                        event_table.c.task_id,
                        event_table.c.try_number,
                    ).where(
                        event_table.c.event == "task_state", event_table.c.new_state == "queued"
                    )
                )
                return Counter(tuple(map(str, row)) for row in rows)
        finally:
            engine.dispose()

    def trigger_all(self, per_dag: int) -> list[tuple[str, str]]:
        """Trigger through the library the CLI uses, in this process (a CLI process per
        run takes seconds on a busy machine, and the runs must overlap)."""
        settings = self.baton.settings
        return [
            (dag_id, api.trigger_dag(settings, dag_id, run_id=f"r{n}_{dag_id}").run_id)
            for n in range(per_dag)
            for dag_id in DAG_IDS
        ]

    def wait_all(self, runs: list[tuple[str, str]], timeout: float = 120) -> None:
        def done() -> bool:
            return all(api.get_run(self.baton.settings, d, r).state == "success" for d, r in runs)

        try:
            self.baton.wait_until("every run to succeed", done, timeout=timeout)
        except AssertionError as exc:
            states = Counter(api.get_run(self.baton.settings, d, r).state for d, r in runs)
            raise AssertionError(f"{states}\n{self.logs()[-6000:]}") from exc

    def ledger_lines(self) -> list[list[str]]:
        path = self.ledger / "ledger.txt"
        return [line.split() for line in path.read_text().splitlines()] if path.exists() else []

    def check_ledger(self, runs: list[tuple[str, str]]) -> Counter[str]:
        """Every task instance ran to its end, and none ever ran twice at once."""
        lines = self.ledger_lines()
        assert not [line for line in lines if line[0] == "overlap"], "a try ran twice at once"
        ended = {line[1] for line in lines if line[0] == "end"}
        expected = {f"{d}.{r}.{t}" for d, r in runs for t in TASKS}
        assert expected <= ended, sorted(expected - ended)[:10]
        return Counter(line[1] for line in lines if line[0] == "start")

    def check_no_retries_used(self, runs: list[tuple[str, str]]) -> None:
        for dag_id, run_id in runs:
            for ti in api.list_task_instances(self.baton.settings, dag_id, run_id):
                assert ti.state == "success", (dag_id, run_id, ti.task_id, ti.error)
                # retries=0: a kill may have cost lost tries, never the task's retries
                assert ti.try_number - ti.retry_base == 1, (ti.task_id, ti.try_number)

    def kill_scheduler_of(self, dag_id: str) -> int:
        """kill -9 the scheduler that owns ``dag_id``; return its job id. The survivor
        goes on alone (the harness stops watching the killed process)."""
        owner = next(job for job, dags in self.owners().items() if dag_id in dags)
        engine = make_engine(self.baton.env["BATON_DATABASE_URL"])
        with transaction(engine) as session:
            pid = session.scalar(
                select(scheduler_job_table.c.pid).where(scheduler_job_table.c.id == owner)
            )
        engine.dispose()
        for process in (self.baton.process, self.second):
            if process is not None and process.pid == pid:
                process.send_signal(signal.SIGKILL)
                process.wait(timeout=30)
        if self.baton.process is not None and self.baton.process.poll() is not None:
            self.baton.process = None
        return owner

    def logs(self) -> str:
        second = self.second_log.read_text(errors="replace") if self.second_log.exists() else ""
        return self.baton.log_text() + "\n--- second scheduler ---\n" + second

    def stop(self) -> None:
        if self.second is not None and self.second.poll() is None:
            self.second.terminate()
            try:
                self.second.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.second.kill()
        self.baton.stop()


def _wait_for_starts(cluster: Cluster, count: int, timeout: float = 60) -> None:
    cluster.baton.wait_until(
        f"{count} tries to start",
        lambda: sum(line[0] == "start" for line in cluster.ledger_lines()) >= count,
        timeout=timeout,
    )


def test_two_schedulers_share_the_dags_and_queue_each_try_once(
    tmp_path: Path, postgres_url: str
) -> None:
    cluster = Cluster(tmp_path, postgres_url)
    cluster.write_dags(seconds=0.05)
    try:
        cluster.start_both()
        runs = cluster.trigger_all(per_dag=10)
        cluster.wait_all(runs)
    finally:
        cluster.stop()
    assert max(cluster.queued_transitions().values()) == 1  # no try queued twice
    starts = cluster.check_ledger(runs)
    assert set(starts.values()) == {1}  # and none ran twice
    logs = cluster.logs()
    assert " ERROR " not in logs and "Traceback" not in logs, logs[-4000:]


def test_a_killed_scheduler_is_taken_over_and_its_runs_complete(
    tmp_path: Path, postgres_url: str
) -> None:
    cluster = Cluster(tmp_path, postgres_url)
    cluster.write_dags(seconds=1.0)
    try:
        cluster.start_both()
        runs = cluster.trigger_all(per_dag=4)
        _wait_for_starts(cluster, 6)
        killed = cluster.kill_scheduler_of("alpha")
        killed_at = time.monotonic()

        def taken_over() -> bool:
            return killed not in cluster.owners() and len(cluster.owners()) == 1

        cluster.baton.wait_until("the survivor to own both DAGs", taken_over, timeout=30)
        takeover_s = time.monotonic() - killed_at
        cluster.wait_all(runs)
    finally:
        cluster.stop()
    assert takeover_s < 10, f"the takeover took {takeover_s:.1f} s"
    cluster.check_ledger(runs)
    cluster.check_no_retries_used(runs)
    assert "lost with its scheduler; re-running it" in cluster.logs()


def test_a_scheduler_killed_and_restarted_at_once_resumes_with_a_second_one_alive(
    tmp_path: Path, postgres_url: str
) -> None:
    cluster = Cluster(tmp_path, postgres_url)
    cluster.write_dags(seconds=1.0)
    try:
        cluster.start_both()
        runs = cluster.trigger_all(per_dag=3)
        _wait_for_starts(cluster, 6)
        cluster.baton.kill(signal.SIGKILL)  # the harness's scheduler; the second lives on
        cluster.baton.start()  # at once: well inside the health threshold
        cluster.wait_all(runs, timeout=90)
    finally:
        cluster.stop()
    cluster.check_ledger(runs)
    cluster.check_no_retries_used(runs)


@pytest.mark.serial  # the worker kill must land inside a try: alone, on a quiet machine
@pytest.mark.parametrize("broker", sorted(BROKERS))
def test_celery_survives_a_killed_scheduler_and_a_killed_worker(
    tmp_path: Path, postgres_url: str, broker: str
) -> None:
    cluster = Cluster(tmp_path, postgres_url, executor="celery", celery_broker_url=BROKERS[broker])
    queue = f"q{os.getpid()}{int(time.time() * 1000) % 100000}"
    cluster.write_dags(seconds=1.5, queue=queue)
    workers = []
    for name in ("A", "B"):
        home, dags = tmp_path / f"worker_{name}", tmp_path / f"worker_{name}_dags"
        shutil.copytree(cluster.baton.dags, dags)  # as on another machine
        env = worker_env(
            home,
            dags,
            postgres_url,
            BROKERS[broker],
            LEDGER_DIR=str(cluster.ledger),
            BATON_TASK_INSTANCE_HEARTBEAT_TIMEOUT="3",
        )
        workers.append(CeleryWorker(env, tmp_path / f"worker_{name}.log", 2, queue))
    try:
        for worker in workers:
            worker.wait_ready()
        cluster.start_both()
        runs = cluster.trigger_all(per_dag=4)
        _wait_for_starts(cluster, 6)
        cluster.kill_scheduler_of("alpha")
        _wait_for_starts(cluster, 14)
        os.killpg(workers[0].process.pid, signal.SIGKILL)  # mid-try: it was busy
        cluster.wait_all(runs, timeout=150)
    finally:
        cluster.stop()
        for worker in workers:
            worker.stop()
    starts = cluster.check_ledger(runs)
    cluster.check_no_retries_used(runs)
    # The tries the killed worker held ran again (elsewhere); the rest exactly once.
    assert max(starts.values()) <= 2
    assert sum(starts.values()) < len(runs) * len(TASKS) + 8
    errors = [
        t.error or ""
        for dag_id, run_id in runs
        for task_id in TASKS
        for t in api.list_tries(cluster.baton.settings, dag_id, run_id, task_id)
    ]
    assert any("stopped heartbeating" in e for e in errors), "the worker kill hit no try"


@pytest.mark.serial  # stops the machine's RabbitMQ: no other test may use it meanwhile
def test_celery_rides_out_a_rabbitmq_restart_mid_run(tmp_path: Path, postgres_url: str) -> None:
    """``rabbitmqctl stop_app`` / ``start_app`` while tries run: the schedulers' event
    consumers and the workers reconnect, every run completes, no try runs twice."""
    broker = BROKERS["rabbitmq"]
    cluster = Cluster(tmp_path, postgres_url, executor="celery", celery_broker_url=broker)
    queue = f"q{os.getpid()}{int(time.time() * 1000) % 100000}"
    cluster.write_dags(seconds=1.0, queue=queue)
    home, dags = tmp_path / "worker", tmp_path / "worker_dags"
    shutil.copytree(cluster.baton.dags, dags)
    env = worker_env(home, dags, postgres_url, broker, LEDGER_DIR=str(cluster.ledger))
    worker = CeleryWorker(env, tmp_path / "worker.log", 4, queue)
    try:
        worker.wait_ready()
        cluster.start_both()
        runs = cluster.trigger_all(per_dag=3)
        _wait_for_starts(cluster, 4)
        subprocess.run(["rabbitmqctl", "stop_app"], check=True, capture_output=True, timeout=60)
        time.sleep(3)
        subprocess.run(["rabbitmqctl", "start_app"], check=True, capture_output=True, timeout=60)
        cluster.wait_all(runs, timeout=180)
    finally:
        subprocess.run(["rabbitmqctl", "start_app"], capture_output=True, timeout=60)
        cluster.stop()
        worker.stop()
    starts = cluster.check_ledger(runs)
    assert max(starts.values()) == 1, "a try ran twice"


POOLED = """
import os, time
from datetime import datetime, timezone
from pathlib import Path
from scheduler import DAG, PythonOperator

LEDGER = Path(os.environ["LEDGER_DIR"]) / "pool.txt"

def hold(ti):
    with open(LEDGER, "a") as out:
        out.write(f"{{time.time()}} +1 {{ti.dag_id}}.{{ti.task_id}}\\n")
    time.sleep(0.4)
    with open(LEDGER, "a") as out:
        out.write(f"{{time.time()}} -1 {{ti.dag_id}}.{{ti.task_id}}\\n")

with DAG("{dag_id}", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc)):
    for i in range(6):
        PythonOperator(task_id=f"t{{i}}", python_callable=hold, pool="narrow")
"""


def test_a_pool_holds_across_two_schedulers(tmp_path: Path, postgres_url: str) -> None:
    """Each scheduler drives one DAG; both DAGs' tasks share a pool of 2 slots, and the
    tasks' own ledger never shows more than 2 of them running at once."""
    cluster = Cluster(tmp_path, postgres_url, parallelism="4")
    for dag_id in DAG_IDS:
        cluster.baton.write_dag(f"{dag_id}.py", POOLED.format(dag_id=dag_id))
    api.set_pool(cluster.baton.settings, "narrow", 2, "shared by both DAGs")
    try:
        cluster.start_both()
        runs = cluster.trigger_all(per_dag=1)
        cluster.wait_all(runs)
    finally:
        cluster.stop()
    lines = sorted(
        (float(t), int(step)) for t, step, _ in (line.split() for line in
        (cluster.ledger / "pool.txt").read_text().splitlines())
    )  # fmt: skip
    running, most = 0, 0
    for _, step in lines:
        running += step
        most = max(most, running)
    assert len(lines) == 2 * 6 * len(DAG_IDS)
    assert most == 2, f"{most} tasks of a 2-slot pool ran at once"
