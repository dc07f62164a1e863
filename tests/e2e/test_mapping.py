"""Dynamic task mapping through the real scheduler: a fan-out over an upstream result with a
reduce, a zero-length map, a mapped task group with a branch per instance, and a scheduler
killed in the middle of a mapped run."""

from __future__ import annotations

import json
import signal

import pytest

from scheduler import api
from tests.e2e.harness import Baton

pytestmark = pytest.mark.e2e


def instances(baton: Baton, dag_id: str, run_id: str) -> dict[str, str]:
    """``{"task": state}`` for unmapped tasks, ``{"task[2]": state}`` for mapped instances."""
    return {
        ti.task_id if ti.map_index < 0 else f"{ti.task_id}[{ti.map_index}]": ti.state
        for ti in api.list_task_instances(baton.settings, dag_id, run_id)
    }


def return_value(baton: Baton, dag_id: str, run_id: str, task_id: str, map_index: int = -1):
    for row in api.list_xcoms(baton.settings, dag_id, run_id, task_id):
        if row.key == "return_value" and row.map_index == map_index:
            return json.loads(row.value)
    return None


FAN_OUT = """
from datetime import datetime, timezone
from scheduler import DAG, task

with DAG("fan", start_date=datetime(2026, 1, 1, tzinfo=timezone.utc), schedule=None):
    @task
    def numbers(dag_run=None):
        return list(range(dag_run.conf.get("n", 5)))

    @task(retries=1, retry_delay=0)
    def square(x, ti=None):
        if x == 3 and ti.try_number == 1:
            raise RuntimeError("transient")
        return x * x

    @task
    def total(values):
        return {"sum": sum(values), "in_order": list(values)}

    total(square.expand(x=numbers()))
"""


def test_a_fan_out_over_an_upstream_result_reduces_in_map_index_order(baton: Baton) -> None:
    baton.write_dag("fan.py", FAN_OUT)
    baton.start()
    baton.wait_for_dag("fan")
    run_id = baton.trigger("fan", {"n": 6})
    assert baton.wait_for_run("fan", run_id) == "success"
    states = instances(baton, "fan", run_id)
    assert states == {
        "numbers": "success",
        **{f"square[{i}]": "success" for i in range(6)},
        "total": "success",
    }
    expected = [i * i for i in range(6)]
    assert return_value(baton, "fan", run_id, "total") == {
        "sum": sum(expected),
        "in_order": expected,
    }
    assert return_value(baton, "fan", run_id, "square", 4) == 16
    # The retried instance keeps its own tries; the others ran once.
    retried = api.list_tries(baton.settings, "fan", run_id, "square", map_index=3)
    assert [t.state for t in retried] == ["failed", "success"]
    events = api.events_page(
        baton.settings, filters={"dag_id": "fan", "run_id": run_id}, limit=500, offset=0
    ).rows
    expanded = [e for e in events if e.event == "task_expanded"]
    assert [(e.task_id, e.detail) for e in expanded] == [
        ("square", "expanded into 6 mapped instances")
    ]
    assert {e.map_index for e in events if e.task_id == "square"} >= {None, 0, 5}
    # The CLI names instances too: list, logs and clear one instance.
    listed = baton.cli_json("tasks", "list", "fan", "--run-id", run_id)
    assert {(t["task_id"], t["map_index"]) for t in listed} >= {("square", 0), ("square", 5)}
    log = baton.cli("tasks", "logs", "fan", run_id, "square", "--map-index", "3").stdout
    assert "Returned value was: 9" in log
    refused = baton.cli("tasks", "logs", "fan", run_id, "square", check=False)
    assert refused.returncode != 0 and "--map-index" in refused.stderr
    baton.cli("tasks", "clear", "fan", run_id, "square", "--map-index", "3")
    assert baton.wait_for_run("fan", run_id) == "success"
    tries = {
        i: len(api.list_tries(baton.settings, "fan", run_id, "square", map_index=i))
        for i in range(6)
    }
    assert tries == {0: 1, 1: 1, 2: 1, 3: 3, 4: 1, 5: 1}  # only instance 3 ran again


ZERO = """
from datetime import datetime, timezone
from scheduler import DAG, task

with DAG("zero", start_date=datetime(2026, 1, 1, tzinfo=timezone.utc), schedule=None):
    @task
    def nothing():
        return []

    @task
    def handle(x):
        return x

    @task
    def after(values):
        return list(values)

    @task(trigger_rule="all_done")
    def report():
        return "done"

    mapped = handle.expand(x=nothing())
    after(mapped) >> report()
"""


def test_a_zero_length_map_is_skipped_and_the_run_succeeds(baton: Baton) -> None:
    baton.write_dag("zero.py", ZERO)
    baton.start()
    baton.wait_for_dag("zero")
    run_id = baton.trigger("zero")
    assert baton.wait_for_run("zero", run_id) == "success"
    assert instances(baton, "zero", run_id) == {
        "nothing": "success",
        "handle": "skipped",
        "after": "skipped",
        "report": "success",
    }


GROUP = """
from datetime import datetime, timezone
from scheduler import DAG, EmptyOperator, task, task_group

with DAG("orders", start_date=datetime(2026, 1, 1, tzinfo=timezone.utc), schedule=None):
    @task
    def orders():
        return [{"id": 1, "amount": 5}, {"id": 2, "amount": 500}, {"id": 3, "amount": 50}]

    @task_group
    def handle(order):
        @task.branch
        def route(order):
            return "handle.review" if order["amount"] > 100 else "handle.ship"

        @task
        def ship(order):
            return f"shipped {order['id']}"

        @task
        def review(order):
            return f"reviewed {order['id']}"

        done = EmptyOperator(task_id="done", trigger_rule="none_failed_min_one_success")
        route(order) >> [ship(order), review(order)] >> done

    handle.expand(order=orders()) >> EmptyOperator(task_id="end")
"""


def test_a_mapped_task_group_branches_per_instance(baton: Baton) -> None:
    baton.write_dag("orders.py", GROUP)
    baton.start()
    baton.wait_for_dag("orders")
    run_id = baton.trigger("orders")
    assert baton.wait_for_run("orders", run_id) == "success"
    states = instances(baton, "orders", run_id)
    assert [states[f"handle.ship[{i}]"] for i in range(3)] == ["success", "skipped", "success"]
    assert [states[f"handle.review[{i}]"] for i in range(3)] == ["skipped", "success", "skipped"]
    assert all(states[f"handle.done[{i}]"] == "success" for i in range(3))
    assert return_value(baton, "orders", run_id, "handle.review", 1) == "reviewed 2"


SLOW = """
from datetime import datetime, timezone
import time
from scheduler import DAG, task

with DAG("slow_map", start_date=datetime(2026, 1, 1, tzinfo=timezone.utc), schedule=None):
    @task
    def items():
        return list(range(8))

    @task(retries=1, retry_delay=0)  # a try lost with the killed scheduler is retried
    def work(x):
        time.sleep(0.3)
        return x + 1

    @task
    def total(values):
        return sum(values)

    total(work.expand(x=items()))
"""


def test_a_scheduler_killed_mid_map_resumes_and_finishes_the_run(baton: Baton) -> None:
    baton.write_dag("slow.py", SLOW)
    baton.start()
    baton.wait_for_dag("slow_map")
    run_id = baton.trigger("slow_map")

    def some_done() -> bool:
        states = instances(baton, "slow_map", run_id)
        return sum(1 for k, s in states.items() if k.startswith("work[") and s == "success") >= 2

    baton.wait_until("two mapped instances to finish", some_done)
    baton.kill(signal.SIGKILL)
    baton.start()
    assert baton.wait_for_run("slow_map", run_id, timeout=120) == "success"
    assert return_value(baton, "slow_map", run_id, "total") == sum(range(1, 9))


CHAINED = """
from datetime import datetime, timezone
from scheduler import DAG, task

with DAG("chained", start_date=datetime(2026, 1, 1, tzinfo=timezone.utc), schedule=None):
    @task
    def numbers():
        return [1, 2, 3, 4]

    @task
    def double(x):
        return None if x == 4 else x * 2  # instance 3 pushes nothing

    @task
    def plus_one(y):
        return y + 1

    @task
    def total(values):
        return sorted(values)

    total(plus_one.expand(y=double.expand(x=numbers())))
"""


def test_mapping_over_a_mapped_task_gets_one_item_per_returned_value(baton: Baton) -> None:
    baton.write_dag("chained.py", CHAINED)
    baton.start()
    baton.wait_for_dag("chained")
    run_id = baton.trigger("chained")
    assert baton.wait_for_run("chained", run_id) == "success"
    assert return_value(baton, "chained", run_id, "total") == [3, 5, 7]
    # Clearing one upstream instance and everything below it expands plus_one the same way.
    baton.cli("tasks", "clear", "chained", run_id, "double", "--map-index", "1", "--downstream")
    assert baton.wait_for_run("chained", run_id) == "success"
    states = instances(baton, "chained", run_id)
    assert sorted(k for k in states if k.startswith("plus_one[")) == [
        "plus_one[0]",
        "plus_one[1]",
        "plus_one[2]",
    ]
    assert return_value(baton, "chained", run_id, "total") == [3, 5, 7]
