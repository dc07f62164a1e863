"""Waiting without slots: a deferred task, deferrable sensors and a sensor in reschedule mode.

With the triggerer running (``make run`` starts one), none of these waits holds a worker
slot: ``wait_a_bit`` and ``wait_for_drop`` are ``deferred`` (their triggers run in
``baton triggerer``) and ``poll_ready_flag`` is ``up_for_reschedule`` between pokes.

    baton dags trigger example_deferrable
    touch /tmp/baton-example-drop/orders.csv     # the FileSensor's file: the run goes on
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

from scheduler import (
    DAG,
    BaseOperator,
    BaseSensorOperator,
    FileSensor,
    PythonOperator,
    TimeDeltaSensor,
    TimeDeltaTrigger,
)

DROP = "/tmp/baton-example-drop"


class WaitThenSummarize(BaseOperator):
    """A custom deferrable operator: defer to a trigger, resume in another method."""

    def execute(self, context):
        self.defer(
            trigger=TimeDeltaTrigger(timedelta(seconds=5)),
            method_name="summarize",
            kwargs={"asked_at": datetime.now(UTC).isoformat()},
            timeout=timedelta(minutes=5),
        )

    def summarize(self, context, event, asked_at):
        return f"waited from {asked_at} until {event.isoformat()} without a worker slot"


class ReadyFlagSensor(BaseSensorOperator):
    """Pokes once a second; between pokes it gives its slot back (mode="reschedule")."""

    def poke(self, context):
        os.makedirs(DROP, exist_ok=True)
        return os.path.exists(os.path.join(DROP, "orders.csv"))


with DAG(
    dag_id="example_deferrable",
    schedule=None,
    start_date=datetime(2026, 1, 1, tzinfo=UTC),
    catchup=False,
    tags=["example"],
) as dag:
    wait_a_bit = WaitThenSummarize(task_id="wait_a_bit")
    settle = TimeDeltaSensor(task_id="settle", delta=timedelta(seconds=3), deferrable=True)
    wait_for_drop = FileSensor(
        task_id="wait_for_drop",
        filepath=f"{DROP}/*.csv",
        poke_interval=2,
        timeout=timedelta(hours=1),
        deferrable=True,
    )
    poll_ready_flag = ReadyFlagSensor(
        task_id="poll_ready_flag", mode="reschedule", poke_interval=1, timeout=3600
    )
    load = PythonOperator(task_id="load", python_callable=lambda: "loaded")
    [wait_a_bit, settle, wait_for_drop, poll_ready_flag] >> load
