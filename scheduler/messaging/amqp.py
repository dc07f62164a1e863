"""RabbitMQ (AMQP 0-9-1) through aio-pika: consume a durable queue, ack after the store.

Up to ``prefetch_count`` messages are in flight unacknowledged; the triggerer acks each
once its asset event is committed. A triggerer that dies first leaves them unacked, and
RabbitMQ redelivers them to the next consumer (the restarted or another triggerer).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator
from typing import Any
from urllib.parse import quote

from scheduler.messaging.brokers import broker_address
from scheduler.messaging.received import Received

log = logging.getLogger("baton.triggerer")


async def consume_amqp(
    conn_id: str, queue: str, prefetch_count: int
) -> AsyncGenerator[Received, None]:
    import aio_pika

    address = await asyncio.to_thread(broker_address, conn_id, port=5672, schema="/")
    url = (
        f"amqp://{quote(address.login or 'guest', safe='')}:"
        f"{quote(address.password or '', safe='')}@{address.host}:{address.port}/"
        f"{quote(address.schema, safe='')}"
    )
    connection = await aio_pika.connect(url)
    try:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=prefetch_count)
        declared = await channel.declare_queue(queue, durable=True)

        async def ack_many(messages: list[Any]) -> None:
            """One ``basic.ack`` with ``multiple`` on this channel, up to its latest stored
            message (the triggerer stores a consumer's messages in the order they came, so
            every earlier one is stored too). One closure per channel: the triggerer
            groups acknowledgements by it, never mixing two channels' delivery tags."""
            await max(messages, key=lambda m: m.delivery_tag).ack(multiple=True)

        log.info("consuming AMQP queue %r on %s:%s", queue, address.host, address.port)
        async with declared.iterator() as messages:
            async for message in messages:
                yield Received(message.body, message, ack_many, f"amqp:{queue}")
    finally:
        await connection.close()
