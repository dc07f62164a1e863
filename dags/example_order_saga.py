"""Order saga: reserve stock -> charge payment -> ship, undone in reverse if a step fails.

Each step is an ``HttpOperator`` calling a microservice through a connection (where it is,
its timeout and its circuit breaker), and declares how to undo itself with ``compensate=``:
releasing the stock and refunding the payment, themselves ``HttpOperator``s with their own
retries. If shipping fails, Baton refunds the payment, then releases the stock, and the run
ends ``compensated`` (see docs/sagas.md).

``compensate_on_failure=True`` (in ``default_args``: every step with a ``compensate``) also
undoes a step that failed for good: a charge that timed out may still have been applied by
the payment service, so it is refunded too — after its last try was cut off, before the
stock is released. Every call of a task instance carries the same ``Idempotency-Key``
(``dag_id/run_id/task_id``; ``.../compensate`` for its undo), so a retried call is not
applied twice, and the services refuse a charge or a reservation that arrives after its
undo.

A declined payment (HTTP 500 ``{"error": "payment declined"}``) is a business answer:
``is_business_error`` says so, the try fails at once without being retried, and the payment
connection's breaker does not count it — only outages (no answer, a timeout, 429/502/503/504)
open it, so one refused card never blocks every other order.

Start the demo services, add the connections, then trigger a run (``schedule=None``)::

    python -m tests.services.shop        # inventory :8101, payment :8102, shipping :8103
    baton connections add shop_inventory --conn-uri 'http://127.0.0.1:8101?timeout=10'
    baton connections add shop_payment --conn-uri \\
        'http://127.0.0.1:8102?timeout=10&breaker_failure_threshold=5&breaker_reset_timeout_s=30'
    baton connections add shop_shipping --conn-uri 'http://127.0.0.1:8103?timeout=10'
    baton dags trigger example_order_saga --conf '{"order_id": "A-42"}'

Make shipping fail to watch the compensations, or ask for too much to see a decline::

    curl -X POST localhost:8103/_control -d '{"fail": {"ship": 3}}'
    baton dags trigger example_order_saga --conf '{"order_id": "A-43", "amount": 5000}'
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from plugins.http import HttpOperator
from scheduler import DAG

ORDER_ID = "{{ params.order_id or run_id }}"


def page_on_call(context) -> None:
    """An undo failed for good: the run ends compensation_failed and someone must look."""
    ti = context["ti"]
    print(
        f"ALERT: order {context['params'].get('order_id') or context['run_id']}: the undo "
        f"of {ti.task_id} failed for good ({context['exception']}); fix the service, then "
        f"baton runs compensate {ti.dag_id} {context['run_id']}"
    )


def declined(response) -> bool:
    """The payment service's refusal: an answer to fail on, not a sign of an outage."""
    return "payment declined" in response.text


with DAG(
    dag_id="example_order_saga",
    schedule=None,
    start_date=datetime(2026, 1, 1, tzinfo=UTC),
    catchup=False,
    params={"order_id": None, "sku": "widget", "qty": 1, "amount": 42.0},  # order_id: run_id
    default_args={
        "retries": 2,
        "retry_delay": timedelta(seconds=1),
        "max_attempts": 1,  # one call per try: every retry is a try, with its own log
        "compensate_on_failure": True,  # a failed step may have acted: undo it too
        "on_compensation_failure_callback": page_on_call,  # its undo failed for good
    },
    tags=["example", "saga"],
    description="Order saga over HTTP microservices, compensated in reverse on failure",
) as dag:
    reserve = HttpOperator(
        task_id="reserve_stock",
        http_conn_id="shop_inventory",
        endpoint="reserve",
        data={"order_id": ORDER_ID, "sku": "{{ params.sku }}", "qty": "{{ params.qty }}"},
        compensate=HttpOperator(
            task_id="release_stock",
            http_conn_id="shop_inventory",
            endpoint="release",
            data={"order_id": ORDER_ID},
        ),
    )
    charge = HttpOperator(
        task_id="charge_payment",
        http_conn_id="shop_payment",
        endpoint="charge",
        data={"order_id": ORDER_ID, "amount": "{{ params.amount }}"},
        is_business_error=declined,
        execution_timeout=timedelta(seconds=60),  # a hung call is cut off, then refunded
        compensate=HttpOperator(
            task_id="refund_payment",
            http_conn_id="shop_payment",
            endpoint="refund",
            data={"order_id": ORDER_ID},
            log_response=True,
            retries=5,  # its own settings: refunds are worth insisting on
            retry_delay=timedelta(seconds=1),
            execution_timeout=timedelta(seconds=60),
        ),
    )
    ship = HttpOperator(
        task_id="ship_order",
        http_conn_id="shop_shipping",
        endpoint="ship",
        data={"order_id": ORDER_ID},
    )

    reserve >> charge >> ship
