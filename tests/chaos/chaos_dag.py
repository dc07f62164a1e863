"""The chaos suite's mixed DAG, copied into the DAG folder of a real Baton.

A chain (extract >> transform >> load), a fan-out (five parts joined), a task that fails
twice by design before it succeeds (retries), and an order saga (reserve >> charge >> ship,
with compensations) whose shipping fails for good, by design, in runs triggered with
``{"outcome": "compensated"}``: those runs must end ``compensated`` (refund, then release),
the others ``success``.

Every try writes the ledger (``$BATON_CHAOS_LEDGER``, one JSON object per line, appended
with O_APPEND so lines from different processes never interleave): ``start`` and ``end``
(or ``error``) with the try number and pid. While it runs, a try holds an exclusive
``flock`` named after its task instance; the kernel drops it the instant the process dies,
so a try that finds it taken is running beside another try of the same task instance, and
says so with an ``overlap`` line.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from scheduler import DAG, AirflowFailException, PythonOperator, chain

DAG_ID = "chaos_mixed"
LEDGER = Path(os.environ.get("BATON_CHAOS_LEDGER", "/tmp/baton-chaos/ledger.jsonl"))
# Plenty: two go to the designed failures, the rest absorb tries lost to kills (a lost try
# counts as a failed try today; issue 8 changes that).
RETRIES = 12
FAN_OUT = 5
DESIGNED_FAILURES = 2  # of the task "flaky", in every run


def write(**entry: Any) -> None:
    entry.update(pid=os.getpid(), t=time.time())
    fd = os.open(LEDGER, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (json.dumps(entry) + "\n").encode())
    finally:
        os.close(fd)


def ledger_entries() -> list[dict[str, Any]]:
    try:
        text = LEDGER.read_text()
    except FileNotFoundError:
        return []
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@contextmanager
def attempt(context: dict[str, Any], step: str, kind: str) -> Iterator[dict[str, Any]]:
    """Ledger lines around one try; the instance's lock held for as long as it runs."""
    run_id = context["run_id"]
    entry = {"run_id": run_id, "step": step, "kind": kind, "try": context["ti"].try_number}
    lock = LEDGER.parent / "locks" / hashlib.sha1(f"{run_id}/{step}/{kind}".encode()).hexdigest()
    lock.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            write(event="overlap", **entry)
        write(event="start", **entry)
        try:
            yield entry
        except BaseException as error:
            write(event="error", error=type(error).__name__, **entry)
            raise
        write(event="end", **entry)
    finally:
        os.close(fd)  # drops the lock


def work(step: str, kind: str = "task") -> Callable[..., Any]:
    """A python_callable (or compensate=) that sleeps a little inside its ledger lines."""

    def run(**context: Any) -> str:
        with attempt(context, step, kind):
            time.sleep(random.uniform(0.02, 0.25))
            if step == "flaky" and _designed_failures(context["run_id"]) < DESIGNED_FAILURES:
                write(event="designed_failure", run_id=context["run_id"], step=step, kind=kind)
                raise RuntimeError("flaky fails twice by design")
            conf = context["dag_run"].conf or {}
            if step == "ship" and conf.get("outcome") == "compensated":
                raise AirflowFailException("shipping refused by design: compensate the order")
        return step

    run.__name__ = f"{kind}_{step}"
    return run


def _designed_failures(run_id: str) -> int:
    return sum(
        1 for e in ledger_entries() if e["event"] == "designed_failure" and e["run_id"] == run_id
    )


with DAG(
    dag_id=DAG_ID,
    schedule=None,
    start_date=datetime(2026, 1, 1, tzinfo=UTC),
    catchup=False,
    max_active_runs=8,
    default_args={"retries": RETRIES, "retry_delay": timedelta(seconds=0)},
    tags=["chaos"],
) as dag:
    start = PythonOperator(task_id="start", python_callable=work("start"))
    steps = [
        PythonOperator(task_id=s, python_callable=work(s)) for s in ("extract", "transform", "load")
    ]
    parts = [
        PythonOperator(task_id=f"part_{i}", python_callable=work(f"part_{i}"))
        for i in range(FAN_OUT)
    ]
    join = PythonOperator(task_id="join", python_callable=work("join"))
    flaky = PythonOperator(task_id="flaky", python_callable=work("flaky"))
    reserve = PythonOperator(
        task_id="reserve",
        python_callable=work("reserve"),
        compensate=work("reserve", "compensate"),  # a callable: the task's own retries
    )
    charge = PythonOperator(
        task_id="charge",
        python_callable=work("charge"),
        compensate=PythonOperator(  # an operator: its own retries
            task_id="refund",
            python_callable=work("charge", "compensate"),
            retries=RETRIES,
            retry_delay=timedelta(seconds=0),
        ),
    )
    ship = PythonOperator(task_id="ship", python_callable=work("ship"))
    done = PythonOperator(task_id="done", python_callable=work("done"))

    chain(start, *steps, done)
    start >> parts >> join >> done
    start >> flaky >> done
    start >> reserve >> charge >> ship >> done
