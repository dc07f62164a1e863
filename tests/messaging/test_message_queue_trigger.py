"""``MessageQueueTrigger`` in process: its two Airflow forms (scheme + kwargs, a queue
URI), every wrong argument named, and how a message body becomes an event (JSON, text, a
body that is not JSON or not UTF-8, a stream entry without its field); ``AssetWatcher``
refusing a task trigger and a DAG's spec carrying its watchers."""

from __future__ import annotations

import asyncio

import pytest

from scheduler import DAG, Asset, AssetWatcher, EmptyOperator, MessageQueueTrigger
from scheduler.authoring import serialize_dag
from scheduler.errors import BatonError, DagDefinitionError, NotSupportedYetError
from scheduler.messaging.received import Received
from scheduler.messaging.redis_streams import MissingField
from scheduler.triggers import TimeDeltaTrigger
from scheduler.triggers.event_trigger import AckedEvent, acknowledge


def test_the_queue_uri_and_the_scheme_forms_serialize_alike() -> None:
    by_uri = MessageQueueTrigger(queue="amqp://amqp_default/orders")
    by_scheme = MessageQueueTrigger(scheme="amqp", amqp_queue="orders")
    assert by_uri.serialize() == by_scheme.serialize()
    classpath, kwargs = by_uri.serialize()
    assert kwargs == {
        "scheme": "amqp",
        "content_type": "json",
        "amqp_queue": "orders",
        "amqp_conn_id": "amqp_default",
        "prefetch_count": 500,
    }
    rebuilt = MessageQueueTrigger(**kwargs)  # what the triggerer does
    assert rebuilt.serialize() == (classpath, kwargs)
    mqtt = MessageQueueTrigger(queue="mqtt://broker/shop/orders/#")
    assert mqtt.options["topics"] == ["shop/orders/#"]
    assert mqtt.options["mqtt_conn_id"] == "broker"


@pytest.mark.parametrize(
    ("kwargs", "error", "says"),
    [
        ({"scheme": "kafka", "topics": ["t"]}, NotSupportedYetError, "Baton's schemes: amqp"),
        ({"scheme": "nats"}, BatonError, "unknown scheme"),
        ({"scheme": "redis+stream"}, BatonError, "needs stream"),
        ({"scheme": "amqp", "amqp_queue": "q", "topic": "x"}, BatonError, "takes no topic"),
        ({"queue": "amqp://guest:pw@amqp_default/q"}, BatonError, "credentials in a connection"),
        ({"queue": "orders"}, BatonError, "scheme://connection_id/name"),
        ({"scheme": "mqtt", "topics": []}, BatonError, "must name topics"),
        ({"scheme": "redis+list", "key": "k", "batch_size": 0}, BatonError, "batch_size=0"),
        ({"scheme": "amqp", "amqp_queue": "q", "content_type": "xml"}, BatonError, "'json'"),
    ],
)
def test_a_wrong_argument_is_named(kwargs: dict, error: type, says: str) -> None:
    with pytest.raises(error, match=None) as raised:
        MessageQueueTrigger(**kwargs)
    assert says in str(raised.value)


def _event(trigger: MessageQueueTrigger, body: object):
    acked: list[list[str]] = []

    async def ack_many(refs: list[str]) -> None:
        acked.append(refs)

    event = trigger.event_of(Received(body, "tag-1", ack_many, "amqp:orders"))
    assert asyncio.run(acknowledge([event])) == []
    assert acked == [["tag-1"]]  # every event, failed ones too, is acknowledged once stored
    return event


def test_bodies_become_payloads_or_failures_with_the_reason() -> None:
    json_trigger = MessageQueueTrigger(scheme="amqp", amqp_queue="orders")
    good = _event(json_trigger, b'{"order": 1}')
    assert (good.payload, good.error) == ({"order": 1}, None)
    bad = _event(json_trigger, b"{not json")
    assert bad.payload == {"raw": "{not json"}
    assert bad.error.startswith("a message on amqp:orders is not valid JSON")
    binary = _event(json_trigger, b"\xff\xfe")
    assert "not UTF-8" in binary.error
    missing = _event(json_trigger, MissingField("data", ["body"]))
    assert missing.error == "the stream entry has no field 'data' (it has body)"
    text = _event(MessageQueueTrigger(scheme="amqp", amqp_queue="q", content_type="text"), b"hi")
    assert (text.payload, text.error) == ("hi", None)


def test_an_asset_watcher_needs_an_event_trigger_and_lands_in_the_spec() -> None:
    with pytest.raises(DagDefinitionError, match="must be a BaseEventTrigger"):
        AssetWatcher("w", TimeDeltaTrigger(__import__("datetime").timedelta(seconds=1)))
    with pytest.raises(DagDefinitionError, match="list of AssetWatcher"):
        Asset("a", watchers=["not a watcher"])
    trigger = MessageQueueTrigger(scheme="redis+list", key="orders")
    orders = Asset("mq://orders", watchers=[AssetWatcher("orders_watcher", trigger)])
    with DAG("consumer", schedule=orders | Asset("other")) as dag:
        EmptyOperator(task_id="t")
    (watcher,) = serialize_dag(dag).asset_watchers
    assert (watcher["uri"], watcher["name"]) == ("mq://orders", "orders_watcher")
    assert (watcher["classpath"], watcher["kwargs"]) == trigger.serialize()


def test_stored_events_are_acknowledged_once_per_consumer_in_order() -> None:
    calls: list[tuple[str, list[int]]] = []

    def consumer(name: str):
        async def ack_many(refs: list[int]) -> None:
            calls.append((name, refs))
            if name == "gone":
                raise ConnectionError("channel closed")

        return ack_many

    a, b, gone = consumer("a"), consumer("b"), consumer("gone")
    events = [AckedEvent(i, ack_many=f, ref=i) for i, f in [(1, a), (2, b), (3, a), (4, gone)]]
    failed = asyncio.run(acknowledge([*events, AckedEvent(5)]))  # 5: nothing to acknowledge
    assert calls == [("a", [1, 3]), ("b", [2]), ("gone", [4])]
    assert [str(e) for e in failed] == ["channel closed"]
