"""Assets: an order export feeds a daily report, which feeds a publication.

``export_orders`` (manual: trigger it) writes two assets; ``orders_report`` runs when both
were updated (``orders & customers``) and reads the exporter's ``extra`` from
``triggering_asset_events``; ``publish_report`` runs after the report's own asset event. A
partner may update the customers file from outside too::

    baton assets event file:///tmp/baton-example/customers.json --extra '{"by": "partner"}'

"""

from __future__ import annotations

import json
from pathlib import Path

from scheduler import DAG, Asset, AssetAlias, task

FOLDER = Path("/tmp/baton-example")
ORDERS = Asset(uri=f"file://{FOLDER}/orders.json", name="orders", group="sales")
CUSTOMERS = Asset(uri=f"file://{FOLDER}/customers.json", name="customers", group="sales")
REPORT = Asset(uri=f"file://{FOLDER}/report.json", name="orders_report")
PUBLISHED = AssetAlias("published-reports")  # which file gets published is decided at run time

with DAG("export_orders", schedule=None, tags=["example", "assets"]):

    @task(outlets=[ORDERS, CUSTOMERS])
    def export(*, outlet_events):
        FOLDER.mkdir(parents=True, exist_ok=True)
        orders = [{"id": 1, "amount": 30}, {"id": 2, "amount": 12}]
        (FOLDER / "orders.json").write_text(json.dumps(orders))
        (FOLDER / "customers.json").write_text(json.dumps([{"id": 7}]))
        outlet_events[ORDERS].extra = {"rows": len(orders)}  # the event's extra
        outlet_events[CUSTOMERS].extra = {"rows": 1}

    export()

with DAG("orders_report", schedule=ORDERS & CUSTOMERS, tags=["example", "assets"]):

    @task(outlets=[REPORT])
    def report(*, triggering_asset_events):
        rows = [e.extra.get("rows") for e in triggering_asset_events.get(ORDERS, [])]
        total = sum(o["amount"] for o in json.loads((FOLDER / "orders.json").read_text()))
        (FOLDER / "report.json").write_text(json.dumps({"total": total}))
        return {"orders_rows": rows, "total": total}

    report()

with DAG("publish_report", schedule=[REPORT], tags=["example", "assets"]):

    @task(outlets=[PUBLISHED])
    def publish(*, outlet_events, triggering_asset_events):
        for asset, events in triggering_asset_events.items():
            print(f"{asset.uri}: {len(events)} event(s) from {events[0].source_dag_id}")
        target = Asset(f"https://reports.example.com/{FOLDER.name}/report.json")
        outlet_events[PUBLISHED].add(target, extra={"from": REPORT.uri})

    publish()
