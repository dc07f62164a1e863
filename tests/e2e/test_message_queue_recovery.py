"""A triggerer killed with -9 between receiving a message and storing its asset event:
the message was not acknowledged, so the restarted triggerer gets it again, stores it
once and the run starts with its payload. PostgreSQL holds the store back (a lock on
``asset_event`` taken by the test), so the kill lands exactly in that window."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import psycopg
import pytest

from scheduler import api
from scheduler.api import assets as asset_api
from tests.e2e.harness import Baton
from tests.e2e.message_queues import redis_client
from tests.e2e.triggerer_support import Triggerer

pytestmark = pytest.mark.e2e

DAG_FILE = """
from scheduler import DAG, Asset, AssetWatcher, MessageQueueTrigger, task

trigger = MessageQueueTrigger(scheme="redis+stream", stream="{stream}", group="baton")
orders = Asset("mq://{stream}", watchers=[AssetWatcher("orders_watcher", trigger)])

with DAG("on_order", schedule=[orders]):
    @task
    def handle(*, dag_run):
        return dag_run.conf["payload"]

    handle()
"""


def _blocked_inserts(conn: psycopg.Connection) -> int:
    with psycopg.connect(conn.info.dsn) as other:
        return other.execute(
            "SELECT count(*) FROM pg_locks WHERE relation = 'asset_event'::regclass AND NOT granted"
        ).fetchone()[0]


def test_a_message_received_but_not_stored_survives_a_triggerer_kill_minus_9(
    tmp_path: Path, postgres_url: str
) -> None:
    stream = f"mq-kill-{uuid.uuid4().hex[:10]}"
    baton = Baton(
        tmp_path,
        database_url=postgres_url,
        triggerer_health_threshold="2",
        triggerer_heartbeat_sec="0.3",
    )
    first, second = Triggerer(baton, "first"), Triggerer(baton, "second")
    redis = redis_client()
    lock = psycopg.connect(postgres_url.replace("+psycopg", ""))
    try:
        baton.write_dag("on_order.py", DAG_FILE.format(stream=stream))
        baton.start()
        first.start()
        baton.wait_for_dag("on_order")
        baton.wait_until("the stream read", lambda: "reading Redis stream" in first.text())

        lock.execute("LOCK TABLE asset_event IN EXCLUSIVE MODE")  # reads pass, inserts wait
        redis.xadd(stream, {"data": json.dumps({"order": 77})})
        baton.wait_until("received", lambda: redis.xpending(stream, "baton")["pending"] == 1)
        baton.wait_until("its store waiting on the lock", lambda: _blocked_inserts(lock) > 0)
        first.kill()  # SIGKILL with the message received, its event not committed
        lock.rollback()
        assert "stored 1 asset event" not in first.text()
        assert redis.xpending(stream, "baton")["pending"] == 1  # never acknowledged

        second.start()
        run = baton.wait_until("a run", lambda: api.list_runs(baton.settings, "on_order"))[0]
        assert baton.wait_for_run("on_order", run.run_id) == "success", second.text()[-3000:]
        (xcom,) = api.list_xcoms(baton.settings, "on_order", run.run_id, "handle")
        assert json.loads(xcom.value) == {"order": 77}
        baton.wait_until("acknowledged", lambda: redis.xpending(stream, "baton")["pending"] == 0)
        events = asset_api.list_asset_events(baton.settings, uri=f"mq://{stream}")
        assert events.total == 1 and events.rows[0]["extra"]["payload"] == {"order": 77}
    finally:
        lock.close()
        first.stop()
        second.stop()
        baton.stop()
        redis.delete(stream)
        redis.close()
