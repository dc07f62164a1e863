"""Publishing to the machine's brokers (RabbitMQ, Redis, Mosquitto) from e2e tests and
the benchmark, with blocking clients; every caller gives names of its own (a uuid)."""

from __future__ import annotations

from collections.abc import Iterable

import amqp  # py-amqp, there through Celery's kombu
import paho.mqtt.client as mqtt
import redis

RABBITMQ = {"host": "127.0.0.1:5672", "userid": "guest", "password": "guest"}
REDIS_URL = "redis://127.0.0.1:6379/0"
MOSQUITTO = ("127.0.0.1", 1883)


def publish_amqp(queue: str, bodies: Iterable[bytes | str]) -> None:
    """Publish to ``queue`` (declared durable, as the trigger declares it) as persistent."""
    with amqp.Connection(**RABBITMQ) as connection:
        channel = connection.channel()
        channel.queue_declare(queue, durable=True, auto_delete=False)
        for body in bodies:
            channel.basic_publish(amqp.Message(body, delivery_mode=2), routing_key=queue)


def amqp_ready_count(queue: str) -> int:
    """Messages waiting in ``queue``, not delivered to a consumer."""
    with amqp.Connection(**RABBITMQ) as connection:
        return connection.channel().queue_declare(queue, durable=True, passive=True).message_count


def delete_amqp_queue(queue: str) -> None:
    with amqp.Connection(**RABBITMQ) as connection:
        connection.channel().queue_delete(queue)


def redis_client() -> redis.Redis:
    return redis.Redis.from_url(REDIS_URL)


def publish_mqtt(topic: str, bodies: Iterable[bytes | str]) -> None:
    """Publish at QoS 1 and wait until the broker acknowledged each."""
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    client.connect(*MOSQUITTO)
    client.loop_start()
    try:
        for info in [client.publish(topic, body, qos=1) for body in bodies]:
            info.wait_for_publish(timeout=30)
    finally:
        client.disconnect()
        client.loop_stop()


def end_mqtt_session(client_id: str) -> None:
    """Drop a persistent session (Mosquitto keeps it on disk otherwise): connect once with
    the same client id and clean_session=True."""
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id,
                         clean_session=True)  # fmt: skip
    client.connect(*MOSQUITTO)
    client.disconnect()
