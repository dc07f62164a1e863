"""Airflow's classic tutorial shape: default_args, Airflow defaults passed explicitly, docs."""

import textwrap
from datetime import datetime, timedelta

from scheduler import DAG, BashOperator

with DAG(
    "compat_tutorial",
    default_args={"depends_on_past": False, "retries": 1, "retry_delay": timedelta(minutes=5)},
    description="the tutorial, with Baton's imports",
    schedule=timedelta(days=1),
    start_date=datetime(2021, 1, 1),
    catchup=False,
    tags=["compat"],
) as dag:
    print_date = BashOperator(task_id="print_date", bash_command="date")
    # depends_on_past=False is Airflow's default: it asks for nothing, so Baton accepts it.
    pause = BashOperator(
        task_id="pause", depends_on_past=False, bash_command="sleep 0.1", retries=3
    )
    print_date.doc_md = "#### Task documentation, set after construction"
    dag.doc_md = __doc__
    templated = BashOperator(
        task_id="templated",
        depends_on_past=False,
        bash_command=textwrap.dedent(
            """
            {% for i in range(2) %}
                test "{{ macros.ds_add(ds, 7) }}" != "{{ ds }}"
            {% endfor %}
            """
        ),
    )
    print_date >> [pause, templated]
