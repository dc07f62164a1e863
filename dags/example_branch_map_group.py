"""Branching, mapping and a task group: each day takes one loading path, chosen from that
day's order count, then exports every region in parallel.

    count_orders >> route >> [bulk_load, row_by_row] >> report >> latest_only >> notify
    count_orders >> has_refunds >> refund_report
    report >> regions >> per_region (mapped: export >> check, once per region) >> summary

- ``route`` (``@task.branch``) follows ``bulk_load`` on busy days, ``row_by_row`` otherwise;
  the other path is skipped and ``report`` (``none_failed_min_one_success``) joins them.
- ``has_refunds`` (``@task.short_circuit``) skips ``refund_report`` on days without refunds.
- ``latest_only`` lets ``notify`` run only in the latest scheduled run (and in manual ones),
  so a catch-up does not send one notification per past day.
- ``per_region`` is a mapped task group: one ``export >> check`` per region ``regions``
  returns (instance ``i`` of ``check`` waits only for instance ``i`` of ``export``), and
  ``summary`` gets every region's result in order.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from scheduler import DAG, BashOperator, EmptyOperator, LatestOnlyOperator, task, task_group

# Three days ago at midnight: unpausing runs three days, and only the last one notifies.
START = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=3)
BUSY_DAY = 50  # orders from which the bulk loader pays off


def orders_on(ds: str) -> int:
    """A stand-in for a query: a stable number of orders per day."""
    return int(ds.replace("-", "")) * 7 % 100


with DAG(
    dag_id="example_branch_map_group",
    schedule="@daily",
    start_date=START,
    catchup=True,
    max_active_runs=1,
    tags=["example", "branching"],
) as dag:

    @task
    def count_orders(ds: str | None = None) -> int:
        orders = orders_on(ds or "")
        print(f"{orders} orders on {ds}")
        return orders

    @task.branch
    def route(orders: int) -> str:
        return "bulk_load" if orders >= BUSY_DAY else "row_by_row"

    @task
    def row_by_row(orders: int) -> None:
        for number in range(orders):
            print(f"loading order {number + 1} of {orders}")

    @task.short_circuit
    def has_refunds(orders: int) -> bool:
        return orders % 3 == 0

    orders = count_orders()
    bulk_load = BashOperator(task_id="bulk_load", bash_command="echo bulk loading {{ ds }}")
    report = EmptyOperator(task_id="report", trigger_rule="none_failed_min_one_success")
    notify = BashOperator(task_id="notify", bash_command="echo report for {{ ds }} is ready")

    route(orders) >> [bulk_load, row_by_row(orders)] >> report
    report >> LatestOnlyOperator(task_id="latest_only") >> notify
    has_refunds(orders) >> BashOperator(task_id="refund_report", bash_command="echo refunds")

    @task
    def regions() -> list[str]:
        return ["eu", "us", "apac"]

    @task_group(tooltip="export one region's orders, then check the file")
    def per_region(region: str):
        @task
        def export(region: str, ds: str | None = None) -> dict:
            rows = orders_on(ds or "") // 3
            print(f"exported {rows} orders of {region} for {ds}")
            return {"region": region, "rows": rows}

        @task
        def check(export: dict) -> str:
            return f"{export['region']}: {export['rows']} rows ok"

        return check(export(region))

    @task
    def summary(checks: list[str]) -> str:
        text = "; ".join(checks)
        print(text)
        return text

    listed = regions()
    report >> listed
    summary(per_region.expand(region=listed))
