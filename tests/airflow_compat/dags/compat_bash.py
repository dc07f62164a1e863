"""BashOperator patterns of Airflow's example_bash_operator: loops, templates, exit 99."""

import pendulum

from scheduler import DAG, BashOperator, EmptyOperator

with DAG(
    dag_id="compat_bash",
    schedule="0 0 * * *",
    start_date=pendulum.datetime(2021, 1, 1, tz="UTC"),
    catchup=False,
    tags=["compat"],
    params={"greeting": "hello"},
) as dag:
    last = EmptyOperator(task_id="last")
    after_loop = BashOperator(task_id="after_loop", bash_command="echo {{ params.greeting }}")
    after_loop >> last
    for i in range(3):
        BashOperator(task_id=f"loop_{i}", bash_command='echo "{{ task_instance_key_str }}"') >> (
            after_loop
        )

# Created outside the `with` block, joined through dag=; exit code 99 skips the task.
skipper = BashOperator(task_id="skipper", bash_command="echo skipping; exit 99", dag=dag)
skipper >> last
