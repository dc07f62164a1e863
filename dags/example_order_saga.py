"""Order saga: reserve stock -> charge payment -> ship, undone in reverse if a step fails.

Each step calls a microservice over HTTP and declares how to undo itself with
``compensate=``: releasing the stock (a callable) and refunding the payment (an operator
with its own retries). If shipping fails, Baton refunds the payment, then releases the
stock, and the run ends ``compensated`` (see docs/sagas.md). Every call sends the try's
``idempotency_key`` as the ``Idempotency-Key`` header, so a repeated request is not applied
twice by the service.

Start the demo services, then trigger a run (``schedule=None``: it only runs on demand)::

    python -m tests.services.shop        # inventory :8101, payment :8102, shipping :8103
    baton dags trigger example_order_saga --conf '{"order_id": "A-42"}'

Make shipping fail to watch the compensations (or stop the services to see everything fail)::

    curl -X POST localhost:8103/_control -d '{"fail": {"ship": 3}}'

Service addresses come from the run's conf/params (``inventory_url``...), else from
``BATON_SHOP_INVENTORY_URL`` (``_PAYMENT_URL``, ``_SHIPPING_URL``), else the ports above.
"""

from __future__ import annotations

import json
import os
import urllib.request
from datetime import UTC, datetime, timedelta
from typing import Any

from scheduler import DAG, PythonOperator

PORTS = {"inventory": 8101, "payment": 8102, "shipping": 8103}


def call(params: dict[str, Any], service: str, endpoint: str, body: dict, key: str) -> Any:
    """POST ``body`` to the service; an HTTP error status raises, which fails the try."""
    base = (
        params.get(f"{service}_url")
        or os.environ.get(f"BATON_SHOP_{service.upper()}_URL")
        or f"http://127.0.0.1:{PORTS[service]}"
    )
    request = urllib.request.Request(
        f"{base}/{endpoint}",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Idempotency-Key": key},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        answer = json.load(response)
    print(f"{service} /{endpoint} ({key}): {answer}")
    return answer


def order_id(params: dict[str, Any], run_id: str) -> str:
    return params.get("order_id") or run_id


def reserve_stock(params: dict, run_id: str, idempotency_key: str) -> Any:
    body = {"order_id": order_id(params, run_id), "sku": params["sku"], "qty": params["qty"]}
    return call(params, "inventory", "reserve", body, idempotency_key)


def release_stock(params: dict, run_id: str, idempotency_key: str) -> Any:
    body = {"order_id": order_id(params, run_id)}
    return call(params, "inventory", "release", body, idempotency_key)


def charge_payment(params: dict, run_id: str, idempotency_key: str) -> Any:
    body = {"order_id": order_id(params, run_id), "amount": params["amount"]}
    return call(params, "payment", "charge", body, idempotency_key)


def refund_payment(params: dict, run_id: str, idempotency_key: str, ti: Any) -> Any:
    charge = ti.xcom_pull()  # this task's own result: what charge_payment returned
    print(f"refunding {charge}")
    body = {"order_id": order_id(params, run_id)}
    return call(params, "payment", "refund", body, idempotency_key)


def ship_order(params: dict, run_id: str, idempotency_key: str) -> Any:
    body = {"order_id": order_id(params, run_id)}
    return call(params, "shipping", "ship", body, idempotency_key)


with DAG(
    dag_id="example_order_saga",
    schedule=None,
    start_date=datetime(2026, 1, 1, tzinfo=UTC),
    catchup=False,
    params={
        "order_id": None,  # None: the run_id
        "sku": "widget",
        "qty": 1,
        "amount": 42.0,
        "inventory_url": None,
        "payment_url": None,
        "shipping_url": None,
    },
    default_args={"retries": 2, "retry_delay": timedelta(seconds=1)},
    tags=["example", "saga"],
    description="Order saga over HTTP microservices, compensated in reverse on failure",
) as dag:
    reserve = PythonOperator(
        task_id="reserve_stock",
        python_callable=reserve_stock,
        compensate=release_stock,  # a callable: runs with this task's retries and timeout
    )
    charge = PythonOperator(
        task_id="charge_payment",
        python_callable=charge_payment,
        compensate=PythonOperator(  # an operator: its own retries and timeout
            task_id="refund_payment",
            python_callable=refund_payment,
            retries=5,
            retry_delay=timedelta(seconds=1),
            execution_timeout=timedelta(seconds=60),
        ),
    )
    ship = PythonOperator(task_id="ship_order", python_callable=ship_order)

    reserve >> charge >> ship
