"""Message-queue starts: a DAG run for the messages on a queue (Airflow 3's AssetWatcher).

The triggerer (``baton triggerer``, started by ``make run`` / ``baton standalone``) runs
each ``MessageQueueTrigger`` for as long as this DAG is active and unpaused; every message
becomes an event of its asset, and the DAG runs on those events with their payloads in
``triggering_asset_events`` and in ``dag_run.conf`` (``payload``: the last one,
``payloads``: all). A message is acknowledged only once its event is stored.

The brokers are the default connections on localhost (``amqp_default``: RabbitMQ
guest/guest on 5672, ``redis_default``: Redis on 6379, ``mqtt_default``: Mosquitto on
1883); point them elsewhere with ``baton connections add``. Send one::

    redis-cli XADD shop.events '*' data '{"kind": "signup"}'
    mosquitto_pub -q 1 -t shop/sensors/door -m '{"open": true}'

A body that is not JSON becomes a failed asset event with the reason (Assets page, and
``GET /api/v1/assets/events``) and starts no run.
"""

from __future__ import annotations

from datetime import UTC, datetime

from scheduler import DAG, Asset, AssetWatcher, MessageQueueTrigger, task

SHOP_EVENTS = Asset(
    "redis://shop.events",
    watchers=[
        AssetWatcher(
            "shop_events_stream",
            MessageQueueTrigger(scheme="redis+stream", stream="shop.events", group="baton"),
        )
    ],
)
SENSORS = Asset(
    "mqtt://shop/sensors",
    watchers=[
        AssetWatcher("sensors", MessageQueueTrigger(queue="mqtt://mqtt_default/shop/sensors/#"))
    ],
)

with DAG(
    dag_id="example_message_queue",
    schedule=SHOP_EVENTS | SENSORS,
    start_date=datetime(2026, 1, 1, tzinfo=UTC),
    catchup=False,
    tags=["example", "events"],
    description="Runs for messages on a Redis stream or MQTT topics (AssetWatcher)",
):

    @task
    def handle(*, triggering_asset_events, dag_run):
        for asset, events in triggering_asset_events.items():
            for event in events:
                print(f"{asset.uri}: {event.extra['payload']!r} at {event.timestamp}")
        return dag_run.conf["payloads"]

    handle()
