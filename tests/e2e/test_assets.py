"""Assets end to end through the real scheduler: a producer's outlet event triggers a
consumer, whose own outlet triggers a second consumer; an ``a & b`` schedule waits for both;
an external event (CLI and REST API) with ``extra`` reaches ``triggering_asset_events``."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from scheduler import api
from scheduler.api import assets as asset_api
from tests.databases import migrated_postgres
from tests.e2e.harness import Baton
from tests.e2e.http_calls import api_token, call
from tests.e2e.webserver import running_webui
from webui import create_app

pytestmark = pytest.mark.e2e

CHAIN = """
from scheduler import DAG, Asset, AssetAlias, task

ORDERS = Asset(uri="s3://lake/orders.csv", name="orders", group="sales")
REPORT = Asset("s3://lake/report.csv")
DYNAMIC = AssetAlias("daily-exports")

with DAG("producer", schedule=None):
    @task(outlets=[ORDERS, DYNAMIC])
    def extract(*, outlet_events):
        outlet_events[ORDERS].extra = {"rows": 3}
        outlet_events[DYNAMIC].add(Asset("s3://lake/export-1.csv"), extra={"part": 1})

    extract()

with DAG("consumer", schedule=[ORDERS]):
    @task(outlets=[REPORT])
    def summarise(*, triggering_asset_events, dag_run):
        events = triggering_asset_events[ORDERS]
        return {
            "run_type": dag_run.run_type,
            "extras": [e.extra for e in events],
            "sources": [[e.source_dag_id, e.source_task_id] for e in events],
            "by_uri": len(triggering_asset_events["s3://lake/orders.csv"]),
        }

    summarise()

with DAG("second_consumer", schedule=[REPORT]):
    @task
    def publish(*, triggering_asset_events):
        return {a.uri: [e.source_dag_id for e in v] for a, v in triggering_asset_events.items()}

    publish()

with DAG("alias_consumer", schedule=[DYNAMIC]):
    @task
    def load(*, triggering_asset_events):
        return sorted((a.uri, e.extra["part"], e.source_alias)
                      for a, v in triggering_asset_events.items() for e in v)

    load()
"""


def _return_value(baton: Baton, dag_id: str, run_id: str, task_id: str) -> Any:
    values = {x.key: x.value for x in api.list_xcoms(baton.settings, dag_id, run_id, task_id)}
    return json.loads(values["return_value"])


def _runs(baton: Baton, dag_id: str) -> list[Any]:
    return api.list_runs(baton.settings, dag_id)


def _pages(baton: Baton) -> Callable[[str], str]:
    """Web UI pages rendered by the real app on this Baton's database, as a Viewer."""
    headers = {"Authorization": f"Bearer {api_token(baton, role='Viewer')}"}
    client = create_app({"BATON_SETTINGS": baton.settings, "TESTING": True}).test_client()

    def page(path: str) -> str:
        response = client.get(path, headers=headers)
        assert response.status_code == 200, response.data[:2000]
        return response.get_data(as_text=True)

    return page


def _one_finished_run(baton: Baton, dag_id: str) -> Any:
    run = baton.wait_until(f"an asset-triggered run of {dag_id}", lambda: _runs(baton, dag_id))[0]
    assert baton.wait_for_run(dag_id, run.run_id) == "success"
    return api.get_run(baton.settings, dag_id, run.run_id)


def test_an_asset_chain_across_dags(baton: Baton) -> None:
    baton.write_dag("chain.py", CHAIN)
    baton.start()
    for dag_id in ("producer", "consumer", "second_consumer", "alias_consumer"):
        baton.wait_for_dag(dag_id)
    run_id = baton.trigger("producer")
    assert baton.wait_for_run("producer", run_id) == "success"

    consumer = _one_finished_run(baton, "consumer")
    assert consumer.run_type == "asset_triggered"
    assert consumer.run_id.startswith("asset_triggered__")
    assert _return_value(baton, "consumer", consumer.run_id, "summarise") == {
        "run_type": "asset_triggered",
        "extras": [{"rows": 3}],
        "sources": [["producer", "extract"]],
        "by_uri": 1,
    }
    second = _one_finished_run(baton, "second_consumer")
    assert _return_value(baton, "second_consumer", second.run_id, "publish") == {
        "s3://lake/report.csv": ["consumer"]
    }
    aliased = _one_finished_run(baton, "alias_consumer")
    assert _return_value(baton, "alias_consumer", aliased.run_id, "load") == [
        ["s3://lake/export-1.csv", 1, "daily-exports"]
    ]

    # The run is linked to its events; the asset knows its producers and consumers.
    (event,) = asset_api.triggering_events_of_run(baton.settings, "consumer", consumer.run_id)
    assert (event["uri"], event["source_run_id"], event["extra"]) == (
        "s3://lake/orders.csv",
        run_id,
        {"rows": 3},
    )
    listed = {a["uri"]: a for a in baton.cli_json("assets", "list")}
    orders = listed["s3://lake/orders.csv"]
    assert (orders["name"], orders["group"]) == ("orders", "sales")
    assert orders["producing_tasks"] == [{"dag_id": "producer", "task_id": "extract"}]
    assert orders["consuming_dags"] == ["consumer"]
    assert "s3://lake/export-1.csv" in listed  # created by the alias event
    # One event, one run each: nothing is queued again.
    assert [len(_runs(baton, d)) for d in ("consumer", "second_consumer")] == [1, 1]

    # The web UI: the assets page (producers, consumers, events with the runs they
    # triggered), the DAG's run list linking the run to its events, and those events.
    get_page = _pages(baton)
    page = get_page("/assets")
    assert 'data-asset="s3://lake/orders.csv"' in page
    assert '>producer</a>.<span class="mono">extract</span>' in page
    assert ">consumer</a>" in page and "via alias daily-exports" in page
    assert f"consumer / {consumer.run_id}" in page  # the event's triggered run
    runs_page = get_page("/dags/consumer/runs")
    assert 'data-testid="run-asset-events"' in runs_page
    events_page = get_page(f"/assets/events?dag_id=consumer&run_id={quote(consumer.run_id)}")
    assert "s3://lake/orders.csv" in events_page and "{&#34;rows&#34;: 3}" in events_page
    assert f"producer / {run_id}" in events_page
    assert "s3://lake/export-1.csv" in get_page("/assets/events")  # every asset's events


BOTH = """
from scheduler import DAG, Asset, task

A = Asset("file:///data/a")
B = Asset("file:///data/b")

with DAG("needs_both", schedule=A & B):
    @task
    def combine(*, triggering_asset_events):
        return sorted((a.uri, e.extra.get("n")) for a, v in triggering_asset_events.items()
                      for e in v)

    combine()

with DAG("needs_either", schedule=A | B):
    @task
    def note():
        return 1

    note()
"""


def test_an_and_schedule_waits_for_both_assets(baton: Baton) -> None:
    _check_and_schedule(baton)


def test_an_and_schedule_on_postgresql(tmp_path: Path) -> None:
    # The run creation's row lock (SELECT ... FOR UPDATE) on a real PostgreSQL.
    with migrated_postgres() as url:
        baton = Baton(tmp_path, database_url=url)
        try:
            _check_and_schedule(baton)
        finally:
            baton.stop()


def _check_and_schedule(baton: Baton) -> None:
    baton.write_dag("both.py", BOTH)
    baton.start()
    baton.wait_for_dag("needs_both")
    baton.wait_for_dag("needs_either")
    baton.cli("assets", "event", "file:///data/a", "--extra", '{"n": 1}')
    baton.cli("assets", "event", "file:///data/a", "--extra", '{"n": 2}')
    either = _one_finished_run(baton, "needs_either")
    assert either.run_type == "asset_triggered"
    assert _runs(baton, "needs_both") == []  # b has not been updated yet
    baton.cli("assets", "event", "file:///data/b", "--extra", '{"n": 3}')
    run = _one_finished_run(baton, "needs_both")
    # Every queued event is in the run: both updates of a, the one of b.
    assert _return_value(baton, "needs_both", run.run_id, "combine") == [
        ["file:///data/a", 1],
        ["file:///data/a", 2],
        ["file:///data/b", 3],
    ]
    assert len(_runs(baton, "needs_both")) == 1


EXTERNAL = """
from scheduler import DAG, Asset, task

PARTNER = Asset("sftp://partner/daily.csv")

with DAG("partner_file", schedule=[PARTNER]):
    @task
    def ingest(*, triggering_asset_events):
        return [[e.extra, e.external_source.split(":")[0], e.source_dag_id]
                for e in triggering_asset_events[PARTNER]]

    ingest()
"""


def test_an_external_event_through_the_api_and_the_cli(baton: Baton) -> None:
    baton.write_dag("partner.py", EXTERNAL)
    token = api_token(baton)
    viewer = api_token(baton, role="Viewer")
    baton.start()
    baton.wait_for_dag("partner_file")
    (asset,) = baton.cli_json("assets", "list")
    with running_webui(baton) as url:
        events_url = f"{url}/api/v1/assets/events"
        body = json.dumps({"asset_id": asset["id"], "extra": {"file": "2026-12-01.csv"}})
        assert call("POST", events_url, body, token=viewer).status == 403
        posted = call("POST", events_url, body, token=token)
        assert posted.status == 200, posted.body
        assert posted.json["extra"] == {"file": "2026-12-01.csv"}
        assert posted.json["external_source"] == "webui:op-e2e"
        run = _one_finished_run(baton, "partner_file")
        assert _return_value(baton, "partner_file", run.run_id, "ingest") == [
            [{"file": "2026-12-01.csv"}, "webui", None]
        ]
        # The run's events over REST, and the event's run.
        upstream = call(
            "GET",
            f"{url}/api/v1/dags/partner_file/dagRuns/{run.run_id}/upstreamAssetEvents",
            token=viewer,
        ).json
        assert [e["id"] for e in upstream["asset_events"]] == [posted.json["id"]]
        listed = call("GET", f"{events_url}?asset_id={asset['id']}", token=viewer).json
        assert listed["asset_events"][0]["created_dagruns"] == [
            {"dag_id": "partner_file", "dag_run_id": run.run_id}
        ]
        assets = call("GET", f"{url}/api/v1/assets", token=viewer).json["assets"]
        assert assets[0]["scheduled_dags"] == [{"dag_id": "partner_file"}]
        # Bad input: 4xx JSON naming the field.
        for bad, status, field in [
            ({"uri": "sftp://nobody/x"}, 404, "asset_id"),
            ({"asset_id": asset["id"], "extra": [1]}, 400, "extra"),
            ({"asset_id": asset["id"], "uri": asset["uri"]}, 400, "asset_id"),
            ({}, 400, "asset_id"),
        ]:
            reply = call("POST", events_url, json.dumps(bad), token=token)
            assert (reply.status, reply.json.get("field")) == (status, field), reply.body

    baton.cli("assets", "event", "sftp://partner/daily.csv", "--extra", '{"file": "late.csv"}')
    runs = baton.wait_until("a second run", lambda: len(_runs(baton, "partner_file")) == 2)
    assert runs
    second = max(_runs(baton, "partner_file"), key=lambda r: r.queued_at)
    assert baton.wait_for_run("partner_file", second.run_id) == "success"
    assert _return_value(baton, "partner_file", second.run_id, "ingest") == [
        [{"file": "late.csv"}, "cli", None]
    ]
    refused = baton.cli("assets", "event", "sftp://partner/daily.csv", "--extra", "[1", check=False)
    assert refused.returncode == 1 and "--extra is not valid JSON" in refused.stderr
    missing = baton.cli("assets", "event", "s3://nothing", check=False)
    assert missing.returncode == 1 and "no asset has URI 's3://nothing'" in missing.stderr


def test_the_example_dag_runs_its_chain(baton: Baton) -> None:
    example = Path(__file__).parents[2] / "dags" / "example_assets.py"
    baton.write_dag("example_assets.py", example.read_text())
    baton.start()
    for dag_id in ("export_orders", "orders_report", "publish_report"):
        baton.wait_for_dag(dag_id)
    run_id = baton.trigger("export_orders")
    assert baton.wait_for_run("export_orders", run_id) == "success"
    report = _one_finished_run(baton, "orders_report")
    assert _return_value(baton, "orders_report", report.run_id, "report") == {
        "orders_rows": [2],
        "total": 42,
    }
    _one_finished_run(baton, "publish_report")
    schedules = {d["dag_id"]: d["schedule"] for d in baton.cli_json("dags", "list")}
    folder = "file:///tmp/baton-example"
    assert schedules["orders_report"] == f"Asset: {folder}/orders.json & {folder}/customers.json"
    listed = {a["uri"] for a in baton.cli_json("assets", "list")}
    assert "https://reports.example.com/baton-example/report.json" in listed
