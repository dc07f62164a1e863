"""Which channel brings a worker's event to the scheduler fastest, on this machine?

``python bench/event_channels.py``: a sender process sends N small JSON events, one every
2 ms; in the receiving process a thread gets each one and makes a socket readable, and the
main thread, waiting in ``multiprocessing.connection.wait`` as the Engine does, stamps it.
Printed: p50 / p95 of send → main thread, in ms, per channel. Needs the machine's Redis,
RabbitMQ and PostgreSQL.

Channels: a kombu queue on Redis and on RabbitMQ (what the Celery executor uses: one
broker, nothing else to run), Redis pub/sub, PostgreSQL LISTEN/NOTIFY.
"""

from __future__ import annotations

import json
import multiprocessing
import socket
import statistics
import threading
import time
import uuid
from collections.abc import Callable
from multiprocessing.connection import wait

import psycopg
import redis
from kombu import Connection, Exchange, Queue

N = 300
REDIS = "redis://127.0.0.1:6379/12"
AMQP = "amqp://guest:guest@127.0.0.1:5672//"
PG = "postgresql://postgres@127.0.0.1:5432/test"


def _kombu_send(url: str, name: str) -> None:
    exchange = Exchange("bench.events", type="direct", durable=False)
    with Connection(url) as connection, connection.Producer() as producer:
        for n in range(N):
            body = {"n": n, "sent": time.time()}
            producer.publish(body, exchange=exchange, routing_key=name, serializer="json")
            time.sleep(0.002)


def _kombu_receive(url: str, name: str, deliver: Callable[[dict], None], ready) -> None:
    exchange = Exchange("bench.events", type="direct", durable=False)
    queue = Queue(name, exchange, routing_key=name, durable=False, auto_delete=True)
    with Connection(url) as connection:

        def on_message(body: dict, message) -> None:
            message.ack()
            deliver(body)

        with connection.Consumer([queue], callbacks=[on_message], accept=["json"]):
            ready.set()
            seen = 0
            while seen < N:
                try:
                    connection.drain_events(timeout=5)
                    seen += 1
                except TimeoutError:
                    return


def _redis_send(name: str) -> None:
    client = redis.Redis.from_url(REDIS)
    for n in range(N):
        client.publish(name, json.dumps({"n": n, "sent": time.time()}))
        time.sleep(0.002)


def _redis_receive(name: str, deliver: Callable[[dict], None], ready) -> None:
    pubsub = redis.Redis.from_url(REDIS).pubsub()
    pubsub.subscribe(name)
    pubsub.get_message(timeout=5)  # the subscription's confirmation
    ready.set()
    seen = 0
    while seen < N:
        message = pubsub.get_message(timeout=5)
        if message and message["type"] == "message":
            deliver(json.loads(message["data"]))
            seen += 1


def _pg_send(name: str) -> None:
    with psycopg.connect(PG, autocommit=True) as connection:
        for n in range(N):
            payload = json.dumps({"n": n, "sent": time.time()})
            connection.execute("SELECT pg_notify(%s, %s)", (name, payload))
            time.sleep(0.002)


def _pg_receive(name: str, deliver: Callable[[dict], None], ready) -> None:
    with psycopg.connect(PG, autocommit=True) as connection:
        connection.execute(f'LISTEN "{name}"')
        ready.set()
        for seen, notify in enumerate(connection.notifies(), start=1):
            deliver(json.loads(notify.payload))
            if seen >= N:
                return


def measure(send: Callable[[], None], receive: Callable) -> list[float]:
    reader, writer = socket.socketpair()
    reader.setblocking(False)
    inbox: list[dict] = []
    lock = threading.Lock()

    def deliver(body: dict) -> None:
        with lock:
            inbox.append(body)
        writer.send(b"!")

    ready = threading.Event()
    thread = threading.Thread(target=receive, args=(deliver, ready), daemon=True)
    thread.start()
    ready.wait(10)
    sender = multiprocessing.get_context("fork").Process(target=send)  # fork: takes a lambda
    sender.start()
    latencies: list[float] = []
    give_up = time.monotonic() + 30
    while len(latencies) < N and time.monotonic() < give_up:
        wait([reader], 1.0)
        try:
            reader.recv(4096)
        except BlockingIOError:
            continue
        now = time.time()
        with lock:
            taken, inbox[:] = list(inbox), []
        latencies += [(now - body["sent"]) * 1000 for body in taken]
    sender.join()
    return latencies


def main() -> None:
    name = f"bench{uuid.uuid4().hex[:8]}"
    channels = {
        "kombu queue on Redis (Celery executor)": (
            lambda: _kombu_send(REDIS, name),
            lambda d, r: _kombu_receive(REDIS, name, d, r),
        ),
        "kombu queue on RabbitMQ (Celery executor)": (
            lambda: _kombu_send(AMQP, name),
            lambda d, r: _kombu_receive(AMQP, name, d, r),
        ),
        "Redis pub/sub": (lambda: _redis_send(name), lambda d, r: _redis_receive(name, d, r)),
        "PostgreSQL LISTEN/NOTIFY": (lambda: _pg_send(name), lambda d, r: _pg_receive(name, d, r)),
    }
    print(f"{'channel':<44}{'p50 ms':>8}{'p95 ms':>8}{'received':>10}")
    for label, (send, receive) in channels.items():
        got = measure(send, receive)
        q = statistics.quantiles(got, n=100) if len(got) > 2 else [0.0] * 99
        print(f"{label:<44}{statistics.median(got):>8.2f}{q[94]:>8.2f}{len(got):>7}/{N}")


if __name__ == "__main__":
    main()
