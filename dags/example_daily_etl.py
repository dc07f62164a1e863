"""A daily ETL with templated dates and catchup.

Each run covers one day, its data interval [data_interval_start, data_interval_end). With
``catchup=True`` the scheduler creates the runs of the days missed since ``start_date``, in
order, so unpausing it runs the last three days one after the other.
The load step is a templated shell script next to this file: example_daily_etl_load.sh.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from scheduler import DAG, BashOperator, PythonOperator

# Three days ago at midnight: a stable start date that keeps the catch-up short.
START = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=3)


def transform(templates_dict: dict, ds: str, **_context) -> dict:
    rows = int(templates_dict["rows"])
    print(f"transforming {rows} rows of {ds} from {templates_dict['source']}")
    return {"day": ds, "rows": rows, "total": rows * 3}


with DAG(
    dag_id="example_daily_etl",
    schedule="@daily",
    start_date=START,
    catchup=True,
    max_active_runs=1,
    default_args={"retries": 1, "retry_delay": timedelta(seconds=2)},
    tags=["example", "etl"],
    params={"source": "warehouse.sales"},
) as dag:
    extract = BashOperator(
        task_id="extract",
        bash_command=(
            "echo extracting {{ params.source }} from {{ data_interval_start }} "
            "to {{ data_interval_end }} && echo {{ ds_nodash | int % 97 + 100 }}"
        ),
    )
    transform_day = PythonOperator(
        task_id="transform",
        python_callable=transform,
        templates_dict={
            "rows": "{{ ti.xcom_pull(task_ids='extract') }}",
            "source": "{{ params.source }}",
        },
    )
    load = BashOperator(
        task_id="load",
        bash_command="example_daily_etl_load.sh",
        env={"TARGET_TABLE": "sales_daily_{{ ds_nodash }}"},
        append_env=True,
    )
    extract >> transform_day >> load
