"""``Received``: one message as a broker consumer hands it over, with how to acknowledge it.

``ack_many`` acknowledges several messages of the same consumer in one call (AMQP: one
``basic.ack`` with ``multiple``, Redis streams: one ``XACK`` of many ids); ``ref`` is this
message's handle for it. The triggerer acknowledges a stored batch per consumer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

AckMany = Callable[[list[Any]], Awaitable[Any]]


@dataclass(frozen=True)
class Received:
    body: Any  # bytes from the wire (str from some clients)
    ref: Any  # the message's handle for ``ack_many``
    ack_many: AckMany  # tells the broker these messages are stored
    source: str  # e.g. "amqp:orders", for error messages
