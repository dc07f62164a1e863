"""Each broker consumer against the machine's broker: a message received and not
acknowledged comes back to the next consumer (what a triggerer killed before its store
relies on), and once acknowledged it does not (names of their own per test)."""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from collections.abc import AsyncGenerator

import paho.mqtt.client as mqtt
import pytest

from scheduler.messaging import MessageQueueTrigger
from scheduler.messaging.amqp import consume_amqp
from scheduler.messaging.mqtt import consume_mqtt
from scheduler.messaging.received import Received
from scheduler.messaging.redis_lists import consume_list
from scheduler.messaging.redis_streams import consume_stream
from scheduler.triggers.event_trigger import acknowledge
from tests.e2e.message_queues import (
    MOSQUITTO,
    amqp_ready_count,
    delete_amqp_queue,
    end_mqtt_session,
    publish_amqp,
    publish_mqtt,
    redis_client,
)

DEADLINE = 30.0


@pytest.fixture(autouse=True)
def brokers(monkeypatch: pytest.MonkeyPatch) -> None:
    """The machine's brokers as connections in the environment (what a triggerer reads)."""
    for conn_id, conn in {
        "test_amqp": {"conn_type": "amqp", "host": "127.0.0.1", "port": 5672,
                      "login": "guest", "password": "guest", "schema": "/"},
        "test_redis": {"conn_type": "redis", "host": "127.0.0.1", "port": 6379, "schema": "0"},
        "test_mqtt": {"conn_type": "mqtt", "host": "127.0.0.1", "port": 1883},
    }.items():  # fmt: skip
        monkeypatch.setenv(f"BATON_CONN_{conn_id.upper()}", json.dumps(conn))


async def _first(messages: AsyncGenerator[Received, None], ack: bool) -> Received:
    """The next message; acknowledged or not, then the consumer closes (its connection
    goes, as a killed triggerer's does)."""
    try:
        received = await asyncio.wait_for(anext(messages), DEADLINE)
        if ack:
            await received.ack_many([received.ref])
        return received
    finally:
        await messages.aclose()


def _unique() -> str:
    return f"mq-redeliver-{uuid.uuid4().hex[:10]}"


def test_amqp_redelivers_what_was_not_acknowledged() -> None:
    queue = _unique()
    try:
        publish_amqp(queue, [b'{"n": 1}'])
        first = asyncio.run(_first(consume_amqp("test_amqp", queue, 10), ack=False))
        assert amqp_ready_count(queue) == 1  # back in the queue
        again = asyncio.run(_first(consume_amqp("test_amqp", queue, 10), ack=True))
        assert first.body == again.body == b'{"n": 1}'
        assert amqp_ready_count(queue) == 0
    finally:
        delete_amqp_queue(queue)


def test_a_redis_stream_consumer_rereads_its_pending_entries() -> None:
    stream = _unique()
    with redis_client() as r:
        try:
            r.xadd(stream, {"data": "1"})

            def consumer() -> AsyncGenerator[Received, None]:
                return consume_stream("test_redis", stream, "g", "c1", "data", 10)

            first = asyncio.run(_first(consumer(), ack=False))
            assert r.xpending(stream, "g")["pending"] == 1
            again = asyncio.run(_first(consumer(), ack=True))
            assert (first.ref, first.body) == (again.ref, again.body) == (again.ref, b"1")
            assert r.xpending(stream, "g")["pending"] == 0
        finally:
            r.delete(stream)


def test_a_redis_list_consumer_takes_over_its_processing_list() -> None:
    key = _unique()
    processing = f"{key}:processing"
    with redis_client() as r:
        try:
            r.lpush(key, "a", "b")

            def consumer() -> AsyncGenerator[Received, None]:
                return consume_list("test_redis", key, processing, 10)

            first = asyncio.run(_first(consumer(), ack=False))
            assert first.body == b"a" and r.lrange(processing, 0, -1)  # moved, kept
            again = asyncio.run(_first(consumer(), ack=True))
            assert again.body == b"a"  # from the processing list, before "b"
            assert r.lrange(processing, 0, -1) == [b"b"]  # "b" came along, not yet stored
        finally:
            r.delete(key, processing)


def _persistent_session(client_id: str, topic: str) -> None:
    """Subscribe once at QoS 1 with clean_session=False: the broker keeps the session and
    queues the topic's messages for it while it is away."""
    subscribed = threading.Event()
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id,
                         clean_session=False)  # fmt: skip
    client.on_subscribe = lambda *_args: subscribed.set()
    client.connect(*MOSQUITTO)
    client.loop_start()
    try:
        client.subscribe(topic, qos=1)
        assert subscribed.wait(DEADLINE), "no SUBACK from Mosquitto"
    finally:
        client.disconnect()
        client.loop_stop()


def test_mqtt_redelivers_an_unacknowledged_message_to_the_same_session() -> None:
    client_id, topic = _unique(), f"baton-test/{_unique()}"
    _persistent_session(client_id, topic)
    try:
        publish_mqtt(topic, [json.dumps({"n": 1})])  # queued for the offline session
        first = asyncio.run(_first(consume_mqtt("test_mqtt", [topic], client_id), ack=False))
        again = asyncio.run(_first(consume_mqtt("test_mqtt", [topic], client_id), ack=True))
        assert first.body == again.body == b'{"n": 1}'
        publish_mqtt(topic, [json.dumps({"n": 2})])
        after = asyncio.run(_first(consume_mqtt("test_mqtt", [topic], client_id), ack=True))
        assert after.body == b'{"n": 2}'  # the first one was acknowledged: not sent again
    finally:
        end_mqtt_session(client_id)


def test_two_amqp_consumers_acknowledged_in_one_batch_each_ack_their_own() -> None:
    """The triggerer acknowledges a stored batch per consumer: two queues' messages in one
    batch are both acknowledged (one AMQP ``multiple`` ack must not swallow the other)."""
    queues = [_unique(), _unique()]
    trigger = MessageQueueTrigger(scheme="amqp", amqp_queue="unused")

    async def receive_both_then_acknowledge() -> None:
        consumers = [consume_amqp("test_amqp", q, 10) for q in queues]
        try:
            received = [await asyncio.wait_for(anext(c), DEADLINE) for c in consumers]
            assert await acknowledge([trigger.event_of(r) for r in received]) == []
        finally:
            for consumer in consumers:
                await consumer.aclose()

    try:
        for queue in queues:
            publish_amqp(queue, [b"{}"])
        asyncio.run(receive_both_then_acknowledge())
        assert [amqp_ready_count(q) for q in queues] == [0, 0]  # none came back
    finally:
        for queue in queues:
            delete_amqp_queue(queue)
