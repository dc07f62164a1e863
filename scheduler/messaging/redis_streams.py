"""Redis streams with a consumer group: XREADGROUP, then XACK after the store.

The consumer's name is stable (derived from the trigger's settings), so a restarted
triggerer first re-reads its own pending entries (``XREADGROUP ... 0``: delivered before
a kill, never acknowledged), then new ones (``>``). The group is created at the start of
the stream if it does not exist (``MKSTREAM``), so no entry added before the first
triggerer started is missed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator
from typing import Any

from scheduler.messaging.brokers import broker_address
from scheduler.messaging.received import Received

log = logging.getLogger("baton.triggerer")


async def redis_client(conn_id: str) -> Any:
    import redis.asyncio

    address = await asyncio.to_thread(broker_address, conn_id, port=6379, schema="0")
    return redis.asyncio.Redis(
        host=address.host,
        port=address.port,
        db=int(address.schema or 0),
        username=address.login,
        password=address.password,
        # Longer than a blocking read (5 s): redis-py's default socket timeout is 5 s too,
        # and an idle XREADGROUP/BLMOVE racing it failed now and then; a server silent
        # for 30 s is gone, and the watcher reconnects.
        socket_timeout=30.0,
        socket_connect_timeout=5.0,
    )


async def consume_stream(
    conn_id: str, stream: str, group: str, consumer: str, field: str, batch_size: int
) -> AsyncGenerator[Received, None]:
    import redis.exceptions

    client = await redis_client(conn_id)
    try:
        try:
            await client.xgroup_create(stream, group, id="0", mkstream=True)
        except redis.exceptions.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

        async def ack_many(entry_ids: list[Any]) -> None:
            await client.xack(stream, group, *entry_ids)

        log.info("reading Redis stream %r as %s/%s", stream, group, consumer)
        last = "0"  # our pending entries first, then new ones
        while True:
            block = 5000 if last == ">" else None
            reply = await client.xreadgroup(
                group, consumer, {stream: last}, count=batch_size, block=block
            )
            entries = reply[0][1] if reply else []
            if last != ">" and not entries:
                last = ">"
                continue
            for entry_id, fields in entries:
                if last != ">":
                    last = entry_id  # page through the pending list
                if not fields:  # deleted from the stream while pending: nothing to store
                    await ack_many([entry_id])
                    continue
                yield Received(_field(fields, field), entry_id, ack_many, f"redis stream {stream}")
    finally:
        await client.aclose()


def _field(fields: dict[Any, Any], name: str) -> Any:
    value = fields.get(name.encode())
    if value is None:
        found = sorted(k.decode(errors="replace") for k in fields)
        return MissingField(name, found)
    return value


class MissingField:
    """An entry without the field the trigger reads: recorded as a failed event."""

    def __init__(self, name: str, found: list[str]) -> None:
        self.reason = f"the stream entry has no field {name!r} (it has {', '.join(found)})"
