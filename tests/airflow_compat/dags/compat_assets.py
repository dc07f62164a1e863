"""Assets, as Airflow 3's example_assets and example_asset_alias DAGs write them: outlets on
a BashOperator and on @task, schedules on a list, on ``|`` and ``&``, an alias filled at run
time through ``outlet_events``, and ``triggering_asset_events`` read in a consumer."""

from __future__ import annotations

import pendulum

from scheduler import DAG, Asset, AssetAlias, BashOperator, task

dag1_asset = Asset("s3://dag1/output_1.txt", extra={"hi": "bye"})
dag2_asset = Asset("s3://dag2/output_1.txt", extra={"hi": "bye"})
dag3_asset = Asset(uri="s3://dag3/output_3.txt", name="dag3-output")
START = pendulum.datetime(2021, 1, 1, tz="UTC")

with DAG(
    dag_id="compat_asset_produces_1",
    catchup=False,
    start_date=START,
    schedule="@daily",
    tags=["produces", "asset-scheduled"],
):
    BashOperator(outlets=[dag1_asset], task_id="producing_task_1", bash_command="sleep 0")

    @task(outlets=[AssetAlias("example-alias")])
    def produce_asset_events_through_asset_alias(*, outlet_events=None):
        bucket_name = "bucket"
        object_path = "my-task"
        outlet_events[AssetAlias("example-alias")].add(Asset(f"s3://{bucket_name}/{object_path}"))

    produce_asset_events_through_asset_alias()

with DAG(
    dag_id="compat_asset_consumes_1",
    catchup=False,
    start_date=START,
    schedule=[dag1_asset],
    tags=["consumes", "asset-scheduled"],
):
    BashOperator(
        outlets=[Asset("s3://consuming_1_task/asset_other.txt")],
        task_id="consuming_1",
        bash_command="sleep 0",
    )

with DAG(
    dag_id="compat_asset_consumes_1_or_2_and_3",
    catchup=False,
    start_date=START,
    schedule=(dag1_asset | dag2_asset) & dag3_asset,
    tags=["consumes", "asset-scheduled"],
):

    @task
    def consume(*, triggering_asset_events=None):
        for asset, events in triggering_asset_events.items():  # empty in a test run
            print(asset, events)
        return len(triggering_asset_events)

    consume()
