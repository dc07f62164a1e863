"""MQTT (Mosquitto and others) through paho-mqtt: QoS 1, a persistent session, manual acks.

The client connects with ``clean_session=False`` under a stable client id, subscribes at
QoS 1 and acknowledges (PUBACK) a message only after its asset event is stored
(paho's ``manual_ack``). The broker keeps the session's subscriptions and its messages
while the triggerer is away, and redelivers the unacknowledged ones when the same client
id reconnects. paho runs its network loop in a thread; messages cross to the asyncio loop
through ``call_soon_threadsafe``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator
from typing import Any

from scheduler.messaging.brokers import broker_address
from scheduler.messaging.received import Received

log = logging.getLogger("baton.triggerer")


class MqttDisconnected(ConnectionError):
    pass


async def consume_mqtt(
    conn_id: str, topics: list[str], client_id: str
) -> AsyncGenerator[Received, None]:
    import paho.mqtt.client as mqtt

    address = await asyncio.to_thread(broker_address, conn_id, port=1883)
    loop = asyncio.get_running_loop()
    inbox: asyncio.Queue[Any] = asyncio.Queue()
    client = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2,
        client_id=client_id,
        clean_session=False,
        protocol=mqtt.MQTTv311,
        manual_ack=True,
    )
    if address.login:
        client.username_pw_set(address.login, address.password)

    def on_connect(client: Any, _userdata: Any, _flags: Any, reason: Any, _props: Any) -> None:
        if reason.is_failure:
            loop.call_soon_threadsafe(inbox.put_nowait, MqttDisconnected(f"refused: {reason}"))
            return
        client.subscribe([(topic, 1) for topic in topics])

    def on_subscribe(*_args: Any) -> None:
        log.info("subscribed to MQTT %s as %r (QoS 1)", ", ".join(topics), client_id)

    def on_message(_client: Any, _userdata: Any, message: Any) -> None:
        loop.call_soon_threadsafe(inbox.put_nowait, message)

    def on_disconnect(*_args: Any) -> None:
        loop.call_soon_threadsafe(inbox.put_nowait, MqttDisconnected("the broker went away"))

    client.on_connect, client.on_subscribe = on_connect, on_subscribe
    client.on_message, client.on_disconnect = on_message, on_disconnect

    async def ack_many(refs: list[tuple[int, int]]) -> None:
        for mid, qos in refs:
            client.ack(mid, qos)  # PUBACK, queued for paho's network thread

    await asyncio.to_thread(client.connect, address.host, address.port)
    client.loop_start()
    try:
        while True:
            item = await inbox.get()
            if isinstance(item, Exception):
                raise item  # the watcher restarts the trigger, reconnecting the session
            yield Received(item.payload, (item.mid, item.qos), ack_many, f"mqtt {item.topic}")
    finally:
        client.disconnect()
        await asyncio.to_thread(client.loop_stop)
