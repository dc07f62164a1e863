"""``MessageQueueTrigger``: Airflow 3's common-messaging trigger, for RabbitMQ, Redis, MQTT.

As in Airflow (``airflow.providers.common.messaging``), the broker is named by ``scheme``
and the rest are that scheme's keyword arguments, or by a ``queue`` URI whose host is the
connection id (the IBM MQ provider's form)::

    MessageQueueTrigger(scheme="amqp", amqp_queue="orders")
    MessageQueueTrigger(queue="amqp://amqp_default/orders")
    MessageQueueTrigger(scheme="redis+stream", stream="orders", group="baton")
    MessageQueueTrigger(scheme="redis+list", key="orders")
    MessageQueueTrigger(scheme="mqtt", topics=["shop/orders/#"])

Each message becomes one event; with ``content_type="json"`` (the default) its body is
parsed, and a body that is not JSON becomes a failed asset event naming the reason (the
message is acknowledged: it is stored, as a failure). ``content_type="text"`` passes the
body as a string. Messages are acknowledged only after their asset event is committed
(``event_trigger.AckedEvent``).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any
from urllib.parse import unquote

from scheduler.errors import BatonError, NotSupportedYetError
from scheduler.messaging.received import Received
from scheduler.messaging.redis_streams import MissingField
from scheduler.triggers.event_trigger import AckedEvent, BaseEventTrigger

_CLASSPATH = "scheduler.messaging.trigger.MessageQueueTrigger"
_RAW_LIMIT = 2000  # characters of a bad body kept with its failed event
_CONTENT_TYPES = ("json", "text")

# Per scheme: the keyword arguments it takes, with their defaults (None: required).
_SCHEMES: dict[str, dict[str, Any]] = {
    "amqp": {"amqp_queue": None, "amqp_conn_id": "amqp_default", "prefetch_count": 500},
    "redis+stream": {
        "stream": None,
        "group": "baton",
        "consumer": "",  # "": derived from the stream and group, stable across restarts
        "field": "data",
        "redis_conn_id": "redis_default",
        "batch_size": 500,
    },
    "redis+list": {
        "key": None,
        "processing_key": "",  # "": "<key>:processing"
        "redis_conn_id": "redis_default",
        "batch_size": 500,
    },
    "mqtt": {"topics": None, "client_id": "", "mqtt_conn_id": "mqtt_default"},
}
# What a queue URI's path fills in, per scheme.
_URI_TARGET = {
    "amqp": ("amqp_queue", "amqp_conn_id"),
    "redis+stream": ("stream", "redis_conn_id"),
    "redis+list": ("key", "redis_conn_id"),
    "mqtt": ("topics", "mqtt_conn_id"),
}
# Airflow's schemes from providers Baton does not have.
_AIRFLOW_ONLY = {"sqs", "kafka", "redis+pubsub", "ibmmq", "https", "pubsub", "eventbridge"}


class MessageQueueTrigger(BaseEventTrigger):
    """Wait for messages on a queue; each one is an event (see the module)."""

    def __init__(
        self,
        scheme: str | None = None,
        queue: str | None = None,
        *,
        content_type: str = "json",
        **kwargs: Any,
    ) -> None:
        super().__init__()
        if queue is not None and "://" in queue:
            scheme, kwargs = _from_uri(queue, scheme, kwargs)
        elif queue is not None:
            raise BatonError(
                f"MessageQueueTrigger(queue={queue!r}): a queue is a URI such as "
                "'amqp://amqp_default/orders' (scheme://connection_id/name); Baton has no "
                "triggerer queues"
            )
        self.scheme = _check_scheme(scheme)
        if content_type not in _CONTENT_TYPES:
            raise BatonError(
                f"MessageQueueTrigger(content_type={content_type!r}): use 'json' (the body "
                "is parsed) or 'text' (the body as a string)"
            )
        self.content_type = content_type
        self.options = _options(self.scheme, kwargs)

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            _CLASSPATH,
            {"scheme": self.scheme, "content_type": self.content_type, **self.options},
        )

    async def run(self) -> AsyncIterator[AckedEvent]:
        async with contextlib.aclosing(self._consume()) as messages:
            async for received in messages:
                yield self.event_of(received)

    def event_of(self, received: Received) -> AckedEvent:
        """The event of one message: its payload, or a failure naming why there is none."""
        body = received.body
        if isinstance(body, MissingField):
            return AckedEvent(None, ack_many=received.ack_many, ref=received.ref, error=body.reason)
        try:
            text = body.decode("utf-8") if isinstance(body, bytes | bytearray) else str(body)
        except UnicodeDecodeError as exc:
            return AckedEvent(
                {"raw": repr(body[:_RAW_LIMIT])},
                ack_many=received.ack_many,
                ref=received.ref,
                error=f"a message on {received.source} is not UTF-8 text: {exc}",
            )
        if self.content_type == "text":
            return AckedEvent(text, ack_many=received.ack_many, ref=received.ref)
        try:
            return AckedEvent(json.loads(text), ack_many=received.ack_many, ref=received.ref)
        except ValueError as exc:
            return AckedEvent(
                {"raw": text[:_RAW_LIMIT]},
                ack_many=received.ack_many,
                ref=received.ref,
                error=f"a message on {received.source} is not valid JSON: {exc}",
            )

    def _consume(self) -> AsyncGenerator[Received, None]:
        o = self.options
        if self.scheme == "amqp":
            from scheduler.messaging.amqp import consume_amqp

            return consume_amqp(o["amqp_conn_id"], o["amqp_queue"], o["prefetch_count"])
        if self.scheme == "redis+stream":
            from scheduler.messaging.redis_streams import consume_stream

            consumer = o["consumer"] or f"baton-{_digest(o['stream'], o['group'])}"
            return consume_stream(
                o["redis_conn_id"], o["stream"], o["group"], consumer, o["field"], o["batch_size"]
            )
        if self.scheme == "redis+list":
            from scheduler.messaging.redis_lists import consume_list

            processing = o["processing_key"] or f"{o['key']}:processing"
            return consume_list(o["redis_conn_id"], o["key"], processing, o["batch_size"])
        from scheduler.messaging.mqtt import consume_mqtt

        client_id = o["client_id"] or f"baton-{_digest(o['mqtt_conn_id'], *o['topics'])}"
        return consume_mqtt(o["mqtt_conn_id"], o["topics"], client_id)


def _check_scheme(scheme: Any) -> str:
    if scheme in _SCHEMES:
        return scheme
    if scheme in _AIRFLOW_ONLY:
        raise NotSupportedYetError(
            f"MessageQueueTrigger(scheme={scheme!r}) needs an Airflow provider Baton does not "
            f"have yet; Baton's schemes: {', '.join(_SCHEMES)}"
        )
    raise BatonError(
        f"MessageQueueTrigger(scheme={scheme!r}): unknown scheme; use one of "
        f"{', '.join(_SCHEMES)}, e.g. scheme='amqp', amqp_queue='orders'"
    )


def _options(scheme: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    known = _SCHEMES[scheme]
    unknown = sorted(set(kwargs) - set(known))
    if unknown:
        raise BatonError(
            f"MessageQueueTrigger(scheme={scheme!r}) takes no {', '.join(unknown)}; its "
            f"arguments: {', '.join(known)}"
        )
    options = {name: kwargs.get(name, default) for name, default in known.items()}
    missing = [name for name, value in options.items() if value is None]
    if missing:
        raise BatonError(
            f"MessageQueueTrigger(scheme={scheme!r}) needs {', '.join(missing)}, e.g. "
            f"{missing[0]}={'[...]' if missing[0] == 'topics' else repr('orders')}"
        )
    if scheme == "mqtt":
        topics = options["topics"]
        options["topics"] = [topics] if isinstance(topics, str) else list(topics)
        if not options["topics"] or not all(isinstance(t, str) and t for t in options["topics"]):
            raise BatonError(
                f"MessageQueueTrigger(scheme='mqtt'): topics={topics!r} must name topics"
            )
    for name in ("prefetch_count", "batch_size"):
        if name in options and (not isinstance(options[name], int) or options[name] < 1):
            raise BatonError(f"MessageQueueTrigger: {name}={options[name]!r} must be an int >= 1")
    return options


def _from_uri(queue: str, scheme: str | None, kwargs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """``scheme://connection_id/name``: split by hand, as ``urlsplit`` would take an MQTT
    wildcard ``#`` for a fragment."""
    uri_scheme, _, rest = queue.partition("://")
    uri_scheme = _check_scheme(uri_scheme)
    if scheme is not None and scheme != uri_scheme:
        raise BatonError(f"MessageQueueTrigger: scheme={scheme!r} but queue={queue!r}")
    conn_id, _, name = rest.partition("/")
    if "@" in conn_id:
        raise BatonError(
            "MessageQueueTrigger(queue=...): put credentials in a connection, not in the URI "
            f"(scheme://connection_id/name); got a URI with a user for {uri_scheme}"
        )
    name = unquote(name)
    if not name or not conn_id:
        raise BatonError(
            f"MessageQueueTrigger(queue={queue!r}): write {uri_scheme}://<connection id>/<name>"
        )
    target, conn_key = _URI_TARGET[uri_scheme]
    value = [name] if target == "topics" else name
    return uri_scheme, {**kwargs, target: value, conn_key: conn_id}


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:12]
