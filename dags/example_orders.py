"""Order flow: check inventory -> reserve stock -> charge payment -> ship -> notify.

Checks that do not depend on each other run in parallel (inventory and fraud), and so do
the notifications at the end. Each step passes its result to the next through XCom, by
TaskFlow: calling a task with another task's result wires the dependency.

Trigger it with an order of your own:
    baton dags trigger example_orders --conf '{"order_id": "A-42", "items": {"book": 2}}'
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from scheduler import DAG, EmptyOperator, task

STOCK = {"book": 100, "pen": 500, "lamp": 20}
PRICES = {"book": 12.5, "pen": 1.2, "lamp": 30.0}

with DAG(
    dag_id="example_orders",
    schedule=timedelta(minutes=10),
    start_date=datetime(2026, 1, 1, tzinfo=UTC),
    catchup=False,
    params={"order_id": "A-1", "items": {"book": 1, "pen": 3}, "customer": "ada@example.com"},
    default_args={"retries": 2, "retry_delay": timedelta(seconds=1)},
    tags=["example", "orders"],
    description="Order processing: inventory, payment, shipping, notification",
) as dag:

    @task
    def check_inventory(params=None) -> dict:
        missing = {i: n for i, n in params["items"].items() if STOCK.get(i, 0) < n}
        if missing:
            raise ValueError(f"not enough stock for {missing}")
        return {"order_id": params["order_id"], "items": params["items"]}

    @task
    def fraud_check(params=None) -> bool:
        print(f"scoring customer {params['customer']}")
        return True

    @task
    def reserve_stock(order: dict, trusted: bool) -> dict:
        if not trusted:
            raise ValueError("order rejected by the fraud check")
        print(f"reserved {order['items']} for order {order['order_id']}")
        return {**order, "reservation": f"R-{order['order_id']}"}

    @task
    def charge_payment(order: dict, idempotency_key=None) -> dict:
        amount = round(sum(PRICES[i] * n for i, n in order["items"].items()), 2)
        # The idempotency key lets a payment service recognise a retried call.
        print(f"charging {amount} EUR for {order['order_id']} (key {idempotency_key})")
        return {**order, "amount": amount, "payment": f"P-{order['order_id']}"}

    @task
    def ship(order: dict) -> str:
        print(f"shipping {order['items']} to the customer of {order['order_id']}")
        return f"TRACK-{order['order_id']}"

    @task
    def notify_customer(tracking: str, params=None) -> None:
        print(f"mail to {params['customer']}: your parcel is on its way ({tracking})")

    @task
    def update_crm(tracking: str) -> None:
        print(f"CRM: order shipped with {tracking}")

    order = check_inventory()
    reserved = reserve_stock(order, fraud_check())
    tracking = ship(charge_payment(reserved))
    done = EmptyOperator(task_id="done")
    [notify_customer(tracking), update_crm(tracking)] >> done
