"""Redis lists as queues (``LPUSH`` by producers): ``BLMOVE`` into a processing list,
``LREM`` from it after the store.

A message is never only in the triggerer's memory: it moves atomically from the list to
the processing list, and leaves that only once stored. A restarted triggerer first
hands over what the processing list still holds (received before a kill, not stored).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator

from scheduler.messaging.received import Received
from scheduler.messaging.redis_streams import redis_client

log = logging.getLogger("baton.triggerer")


async def consume_list(
    conn_id: str, key: str, processing_key: str, batch_size: int
) -> AsyncGenerator[Received, None]:
    client = await redis_client(conn_id)

    async def ack_many(values: list[bytes]) -> None:
        pipe = client.pipeline(transaction=False)
        for value in values:
            pipe.lrem(processing_key, -1, value)  # the oldest copy: this one
        await pipe.execute()

    try:
        for value in reversed(await client.lrange(processing_key, 0, -1)):  # oldest first
            yield Received(value, value, ack_many, f"redis list {key}")
        log.info("reading Redis list %r (processing list %r)", key, processing_key)
        while True:
            first = await client.blmove(key, processing_key, 5, "RIGHT", "LEFT")
            if first is None:
                continue
            values = [first]
            more = min(batch_size - 1, await client.llen(key))
            if more > 0:  # what else is waiting, in one round trip
                pipe = client.pipeline(transaction=False)
                for _ in range(more):
                    pipe.lmove(key, processing_key, "RIGHT", "LEFT")
                values += [v for v in await pipe.execute() if v is not None]
            for value in values:
                yield Received(value, value, ack_many, f"redis list {key}")
    finally:
        await client.aclose()
