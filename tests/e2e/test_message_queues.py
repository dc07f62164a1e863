"""Message-queue starts end to end: an ``AssetWatcher`` with a ``MessageQueueTrigger`` on
each of the machine's brokers (RabbitMQ, Redis stream and list, Mosquitto), run by a real
``baton triggerer`` beside a real scheduler: a message starts a run of the DAG scheduled
on the asset, with its payload in ``triggering_asset_events`` and the run's conf; a body
that is not JSON is a failed asset event shown by the API and the asset page. The same
processes run ``dags/example_order_flow.py`` (on a queue of its own): a small order is
fulfilled at once, a big one waits deferred for the fraud review until an Op approves it
with ``baton hitl respond``."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scheduler import api
from scheduler.api import assets as asset_api
from scheduler.api import users as user_api
from tests.e2e.harness import Baton
from tests.e2e.message_queues import (
    delete_amqp_queue,
    end_mqtt_session,
    publish_amqp,
    publish_mqtt,
    redis_client,
)
from tests.e2e.triggerer_support import Triggerer
from webui import create_app

pytestmark = pytest.mark.e2e

ORDER_FLOW = Path(__file__).resolve().parents[2] / "dags" / "example_order_flow.py"
FLOW = "example_order_flow"

WATCHED = """
from scheduler import DAG, Asset, AssetWatcher, MessageQueueTrigger, task

TRIGGERS = {{
    "amqp": MessageQueueTrigger(queue="amqp://amqp_default/{name}"),
    "stream": MessageQueueTrigger(scheme="redis+stream", stream="{name}", group="baton"),
    "list": MessageQueueTrigger(scheme="redis+list", key="{name}-list"),
    "mqtt": MessageQueueTrigger(scheme="mqtt", topics=["baton-test/{name}/#"],
                                client_id="{name}"),
}}

for kind, trigger in TRIGGERS.items():
    asset = Asset(f"mq://{name}/{{kind}}", watchers=[AssetWatcher(f"{{kind}}_watcher", trigger)])
    with DAG(f"on_{{kind}}", schedule=[asset], max_active_runs=1):
        @task
        def handle(*, triggering_asset_events, dag_run):
            payloads = [e.extra["payload"] for events in triggering_asset_events.values()
                        for e in events]
            return {{"from_events": payloads, "conf": dag_run.conf}}

        handle()
"""


@pytest.fixture(scope="module")
def name() -> str:
    return f"mq-{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="module")
def watched(tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[Baton]:
    baton = Baton(tmp_path_factory.mktemp("mq"), triggerer_heartbeat_sec="0.3")
    triggerer = Triggerer(baton)
    try:
        baton.write_dag("watched.py", WATCHED.format(name=name))
        flow = ORDER_FLOW.read_text().replace('"shop.orders"', f'"{name}-orders"')
        baton.write_dag(ORDER_FLOW.name, flow)
        # op-e2e: answers the fraud review, reads the API and the asset page (made in this
        # process, as `baton users create` / `users tokens create` would: two CLI starts less)
        op = user_api.create_user(baton.settings, "op-e2e", "a-long-password-1", "Op")
        _, token = user_api.create_token(baton.settings, op.id, "e2e", source="test")
        baton.op_token = token  # type: ignore[attr-defined]
        baton.start()
        triggerer.start()
        for dag_id in ("on_amqp", "on_stream", "on_list", "on_mqtt", FLOW):
            baton.wait_for_dag(dag_id)
        # MQTT keeps messages only for a session that subscribed: wait for the subscription.
        baton.wait_until("the watchers listening", lambda: "subscribed to MQTT" in triggerer.text())
        baton.triggerer = triggerer  # type: ignore[attr-defined]
        yield baton
    finally:
        triggerer.stop()
        baton.stop()
        delete_amqp_queue(name)
        delete_amqp_queue(f"{name}-orders")
        end_mqtt_session(name)
        with redis_client() as r:
            r.delete(name, f"{name}-list", f"{name}-list:processing")


def _first_run_result(baton: Baton, dag_id: str) -> dict[str, Any]:
    run = baton.wait_until(f"a run of {dag_id}", lambda: api.list_runs(baton.settings, dag_id))[0]
    assert baton.wait_for_run(dag_id, run.run_id) == "success", baton.triggerer.text()[-3000:]
    assert run.run_type == "asset_triggered"
    values = {x.key: x.value for x in api.list_xcoms(baton.settings, dag_id, run.run_id, "handle")}
    return json.loads(values["return_value"])


def _expect_payload(result: dict[str, Any], payload: Any) -> None:
    assert result["from_events"] == [payload]
    assert result["conf"] == {"payload": payload, "payloads": [payload]}


def test_a_rabbitmq_message_starts_a_run_with_its_payload(watched: Baton, name: str) -> None:
    publish_amqp(name, [json.dumps({"order": 1, "amount": 12.5})])
    _expect_payload(_first_run_result(watched, "on_amqp"), {"order": 1, "amount": 12.5})


def test_a_redis_stream_entry_starts_a_run_and_is_acknowledged(watched: Baton, name: str) -> None:
    with redis_client() as r:
        r.xadd(name, {"data": json.dumps({"order": 2})})
        _expect_payload(_first_run_result(watched, "on_stream"), {"order": 2})
        watched.wait_until(
            "the entry acknowledged", lambda: r.xpending(name, "baton")["pending"] == 0
        )


def test_a_redis_list_item_starts_a_run_and_leaves_the_processing_list(
    watched: Baton, name: str
) -> None:
    with redis_client() as r:
        r.lpush(f"{name}-list", json.dumps({"order": 3}))
        _expect_payload(_first_run_result(watched, "on_list"), {"order": 3})
        watched.wait_until("processed", lambda: r.llen(f"{name}-list:processing") == 0)


def test_an_mqtt_message_starts_a_run_with_its_payload(watched: Baton, name: str) -> None:
    publish_mqtt(f"baton-test/{name}/orders", [json.dumps({"order": 4})])
    _expect_payload(_first_run_result(watched, "on_mqtt"), {"order": 4})


def test_a_message_that_is_not_json_is_a_failed_event_shown_by_the_api_and_the_ui(
    watched: Baton, name: str
) -> None:
    uri = f"mq://{name}/amqp"
    publish_amqp(name, [b"{not json"])

    def failed() -> list[dict[str, Any]]:
        events = asset_api.list_asset_events(watched.settings, uri=uri).rows
        return [e for e in events if e["error"]]

    (event,) = watched.wait_until("a failed asset event", failed)
    assert "is not valid JSON" in event["error"] and f"amqp:{name}" in event["error"]
    assert event["extra"] == {"from_trigger": True, "payload": {"raw": "{not json"}}
    assert event["created_dagruns"] == []  # a failed event starts nothing

    app = create_app({"BATON_SETTINGS": watched.settings, "TESTING": True}).test_client()
    headers = {"Authorization": f"Bearer {watched.op_token}"}
    listed = app.get(f"/api/v1/assets/events?asset_id={event['asset_id']}", headers=headers)
    assert listed.status_code == 200, listed.data[:500]
    (shown,) = [e for e in listed.get_json()["asset_events"] if e["id"] == event["id"]]
    assert "is not valid JSON" in shown["error"]
    page = app.get(f"/assets/events?asset_id={event['asset_id']}", headers=headers)
    assert page.status_code == 200
    assert 'data-testid="event-error"' in page.get_data(as_text=True)
    assert "is not valid JSON" in page.get_data(as_text=True)

    # The asset lists its watcher, running as a trigger, in the API and on the Assets page.
    (asset,) = [a for a in app.get("/api/v1/assets", headers=headers).get_json()["assets"]
                if a["uri"] == uri]  # fmt: skip
    (watcher,) = asset["watchers"]
    assert (watcher["name"], watcher["dag_id"]) == ("amqp_watcher", "on_amqp")
    assert isinstance(watcher["trigger_id"], int)
    assets_page = app.get("/assets", headers=headers).get_data(as_text=True)
    assert "amqp_watcher" in assets_page


def _returned(baton: Baton, dag_id: str, run_id: str, task_id: str) -> Any:
    (xcom,) = api.list_xcoms(baton.settings, dag_id, run_id, task_id)
    return json.loads(xcom.value)


def test_the_order_flow_example_holds_a_big_order_for_the_fraud_review(
    watched: Baton, name: str
) -> None:
    publish_amqp(f"{name}-orders", [json.dumps({"order_id": "S-1", "amount": 20})])
    (small,) = watched.wait_until("a run", lambda: api.list_runs(watched.settings, FLOW))
    assert watched.wait_for_run(FLOW, small.run_id) == "success"
    states = watched.task_states(FLOW, small.run_id)
    assert states["fulfil_small"] == "success" and states["fraud_review"] == "skipped"
    assert _returned(watched, FLOW, small.run_id, "fulfil_small") == ["S-1"]

    publish_amqp(f"{name}-orders", [json.dumps({"order_id": "L-1", "amount": 2500})])

    def second_run() -> list[Any]:
        return [r for r in api.list_runs(watched.settings, FLOW) if r.run_id != small.run_id]

    big = watched.wait_until("a second run", second_run)[0].run_id
    watched.wait_until(
        "the review waiting deferred",
        lambda: watched.task_states(FLOW, big).get("fraud_review") == "deferred",
    )
    watched.cli("hitl", "respond", FLOW, big, "fraud_review", "--option", "Approve",
                "--username", "op-e2e")  # fmt: skip
    assert watched.wait_for_run(FLOW, big) == "success"
    assert _returned(watched, FLOW, big, "fulfil_large") == ["L-1"]
    assert _returned(watched, FLOW, big, "fulfil_small") == []
