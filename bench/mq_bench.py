"""Message-queue benchmark (issue 9 item 3): messages into asset events per second.

Through the real processes: ``baton scheduler`` and ``baton triggerer`` on a fresh
BATON_HOME (SQLite, or ``BENCH_MQ_DATABASE_URL``), one DAG per broker scheduled on an asset
whose ``AssetWatcher`` runs a ``MessageQueueTrigger``: RabbitMQ, a Redis stream, a Redis
list, Mosquitto. For each broker, N JSON messages are published as fast as the blocking
client can (MQTT: at most MQTT_AHEAD ahead of the stores, see ``_publish_paced``).
Measured: N over the time from the first publish to the N-th asset event committed
(target 500/s), and the runs the consumer DAG got meanwhile (several events per run:
Airflow's asset-triggered run takes every queued event).

    .venv/bin/python bench/mq_bench.py         # BENCH_MQ_N=5000, BENCH_MQ_BROKERS=amqp,...
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scheduler import api
from scheduler.settings import Settings
from scheduler.store.db import make_engine
from scheduler.store.models_assets import asset_event_table, asset_table
from tests.e2e.message_queues import (
    delete_amqp_queue,
    end_mqtt_session,
    publish_amqp,
    publish_mqtt,
    redis_client,
)

BATON = str(Path(sys.executable).with_name("baton"))
N = int(os.environ.get("BENCH_MQ_N", "5000"))
BROKERS = os.environ.get("BENCH_MQ_BROKERS", "amqp,stream,list,mqtt").split(",")
TARGET = 500.0
MQTT_AHEAD = 600

DAGS = """
from scheduler import DAG, Asset, AssetWatcher, EmptyOperator, MessageQueueTrigger

TRIGGERS = {{
    "amqp": MessageQueueTrigger(scheme="amqp", amqp_queue="{name}"),
    "stream": MessageQueueTrigger(scheme="redis+stream", stream="{name}"),
    "list": MessageQueueTrigger(scheme="redis+list", key="{name}-list"),
    "mqtt": MessageQueueTrigger(scheme="mqtt", topics=["bench/{name}"], client_id="{name}"),
}}
for kind, trigger in TRIGGERS.items():
    asset = Asset(f"mq://bench/{{kind}}", watchers=[AssetWatcher(kind, trigger)])
    with DAG(f"bench_{{kind}}", schedule=[asset]):
        EmptyOperator(task_id="handle")
"""


def _publish(kind: str, name: str, bodies: list[str]) -> None:
    if kind == "amqp":
        publish_amqp(name, bodies)
    elif kind == "stream":
        with redis_client() as r:
            pipe = r.pipeline(transaction=False)
            for body in bodies:
                pipe.xadd(name, {"data": body})
            pipe.execute()
    elif kind == "list":
        with redis_client() as r:
            r.lpush(f"{name}-list", *bodies)
    else:
        publish_mqtt(f"bench/{name}", bodies)


def _publish_paced(engine, name: str, bodies: list[str]) -> None:
    """MQTT in chunks, never more than MQTT_AHEAD messages ahead of the stores: Mosquitto
    keeps at most ``max_queued_messages`` (1000 by default) for a subscriber and drops the
    rest at QoS 1, so publishing all at once would measure the broker's limit instead."""
    for i in range(0, len(bodies), 250):
        while i - _stored(engine, "mqtt") > MQTT_AHEAD:
            time.sleep(0.005)
        _publish("mqtt", name, bodies[i : i + 250])


def _stored(engine, kind: str) -> int:
    query = (
        select(func.count())
        .select_from(asset_event_table)
        .join(asset_table, asset_table.c.id == asset_event_table.c.asset_id)
        .where(asset_table.c.uri == f"mq://bench/{kind}")
    )
    with engine.connect() as conn:
        return conn.execute(query).scalar_one()


def main() -> None:
    name = f"mq-bench-{uuid.uuid4().hex[:8]}"
    root = Path(tempfile.mkdtemp(prefix="baton-mq-bench-"))
    (root / "dags").mkdir()
    (root / "dags" / "bench_mq.py").write_text(DAGS.format(name=name))
    env = {
        **os.environ,
        "BATON_HOME": str(root / "home"),
        "BATON_DAGS_FOLDER": str(root / "dags"),
        "BATON_DAGS_ARE_PAUSED_AT_CREATION": "false",
        "BATON_TRIGGERER_HEARTBEAT_SEC": "0.5",
    }
    if os.environ.get("BENCH_MQ_DATABASE_URL"):
        env["BATON_DATABASE_URL"] = os.environ["BENCH_MQ_DATABASE_URL"]
    settings = Settings.from_env(env)
    subprocess.run([BATON, "db", "migrate"], env=env, check=True, capture_output=True)
    logs = {p: open(root / f"{p}.log", "wb") for p in ("scheduler", "triggerer")}  # noqa: SIM115
    procs = [
        subprocess.Popen([BATON, p], env=env, stdout=logs[p], stderr=subprocess.STDOUT)
        for p in ("scheduler", "triggerer")
    ]
    engine = make_engine(settings.database_url)
    results = {}
    try:
        deadline = time.monotonic() + 60
        while "subscribed to MQTT" not in (root / "triggerer.log").read_text(errors="replace"):
            if time.monotonic() > deadline:
                raise SystemExit("the watchers did not start; see " + str(root))
            time.sleep(0.2)
        time.sleep(1.0)  # every consumer connected (AMQP declares its queue on connect)
        bodies = [json.dumps({"order": i, "amount": i % 1000}) for i in range(N)]
        for kind in BROKERS:
            start = time.monotonic()
            if kind == "mqtt":
                _publish_paced(engine, name, bodies)
            else:
                _publish(kind, name, bodies)
            published = time.monotonic() - start
            deadline = time.monotonic() + max(60.0, N / 50)
            while (count := _stored(engine, kind)) < N and time.monotonic() < deadline:
                time.sleep(0.05)
            took = time.monotonic() - start
            runs = len(api.list_runs(settings, f"bench_{kind}"))
            results[kind] = {
                "messages": N,
                "stored": count,
                "publish_s": round(published, 2),
                "seconds": round(took, 2),
                "per_second": round(count / took, 1),
                "runs": runs,
            }
            print(
                f"{kind:>6}: {count}/{N} events in {took:.2f} s = {count / took:.0f}/s "
                f"(published in {published:.2f} s; {runs} runs)",
                flush=True,
            )
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            proc.wait(timeout=60)
        delete_amqp_queue(name)
        end_mqtt_session(name)
        with redis_client() as r:
            r.delete(name, f"{name}-list", f"{name}-list:processing")
    load = os.getloadavg()
    print(
        json.dumps(
            {
                "mq_bench": results,
                "target_per_second": TARGET,
                "database": settings.database_url.split(":")[0],
                "loadavg": [round(x, 2) for x in load],
            }
        )
    )
    if any(r["per_second"] < TARGET for r in results.values()):
        print(f"below the {TARGET:.0f}/s target", file=sys.stderr)


if __name__ == "__main__":
    main()
