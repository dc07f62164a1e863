"""Order flow from a message queue: orders arrive on RabbitMQ, big ones wait for a person.

The shop publishes each order as JSON on the RabbitMQ queue ``shop.orders``; an
``AssetWatcher`` (run by the triggerer) turns every message into an event of the asset
``amqp://shop.orders`` and this DAG runs on those events (a burst of messages gives one run
with every order in it). Orders up to ``FRAUD_REVIEW_ABOVE`` are fulfilled at once; the
larger ones wait for a fraud review (``ApprovalOperator``: a person answers on the
*Required actions* page, through ``PATCH /api/v1/.../hitlDetails`` or with ``baton hitl
respond``). Approved, they are fulfilled; rejected, or unanswered after 4 hours, their
fulfilment is skipped. The review waits deferred: it holds no worker slot.

The fulfilment steps are the saga example's (``example_order_saga``: reserve stock, charge,
ship, compensated in reverse on failure); here they print, so the flow runs without the
demo services. Publish an order (RabbitMQ on localhost, ``amqp_default``)::

    python - <<'PY'
    import amqp, json
    with amqp.Connection("127.0.0.1:5672", userid="guest", password="guest") as c:
        ch = c.channel(); ch.queue_declare("shop.orders", durable=True, auto_delete=False)
        ch.basic_publish(amqp.Message(json.dumps({"order_id": "A-1", "amount": 2500})),
                         routing_key="shop.orders")
    PY
    baton hitl list                       # the review waiting
    baton hitl respond example_order_flow <run_id> fraud_review --option Approve --username admin
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from scheduler import DAG, ApprovalOperator, Asset, AssetWatcher, MessageQueueTrigger, task

FRAUD_REVIEW_ABOVE = 1000.0

ORDERS = Asset(
    "amqp://shop.orders",
    watchers=[
        AssetWatcher("shop_orders", MessageQueueTrigger(scheme="amqp", amqp_queue="shop.orders"))
    ],
)

with DAG(
    dag_id="example_order_flow",
    schedule=[ORDERS],
    start_date=datetime(2026, 1, 1, tzinfo=UTC),
    catchup=False,
    tags=["example", "events"],
    description="Orders from RabbitMQ; a fraud review above an amount (AssetWatcher + HITL)",
):

    @task(multiple_outputs=True)
    def split_orders(*, triggering_asset_events):
        orders = [event.extra["payload"] for event in triggering_asset_events[ORDERS]]
        large = [o for o in orders if float(o.get("amount", 0)) > FRAUD_REVIEW_ABOVE]
        return {"small": [o for o in orders if o not in large], "large": large}

    @task
    def fulfil(orders):
        for order in orders:
            for step in ("reserve stock", "charge payment", "ship"):
                print(f"order {order['order_id']}: {step} ({order.get('amount')})")
        return [order["order_id"] for order in orders]

    @task.short_circuit
    def needs_review(large):
        return bool(large)

    review = ApprovalOperator(
        task_id="fraud_review",
        subject="Fraud review: {{ ti.xcom_pull(task_ids='split_orders', key='large') | length }} "
        f"order(s) above {FRAUD_REVIEW_ABOVE:.0f}",
        body="{% for o in ti.xcom_pull(task_ids='split_orders', key='large') %}"
        "{{ o.order_id }}: {{ o.amount }}\n{% endfor %}",
        defaults="Reject",
        execution_timeout=timedelta(hours=4),
    )

    orders = split_orders()
    fulfil.override(task_id="fulfil_small")(orders["small"])
    large = fulfil.override(task_id="fulfil_large")(orders["large"])
    needs_review(orders["large"]) >> review >> large
