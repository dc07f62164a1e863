"""Skips and trigger rules, as in Airflow's example_skip_dag."""

import datetime

import pendulum

from scheduler import DAG, AirflowSkipException, BaseOperator, EmptyOperator, TriggerRule


class AlwaysSkip(BaseOperator):
    ui_color = "#e8b7e4"

    def execute(self, context):
        raise AirflowSkipException


def pipeline(suffix: str, rule: TriggerRule) -> None:
    join = EmptyOperator(task_id=rule, trigger_rule=rule)  # a TriggerRule is a valid task_id
    [AlwaysSkip(task_id=f"skip_{suffix}"), EmptyOperator(task_id=f"true_{suffix}")] >> join
    join >> EmptyOperator(task_id=f"final_{suffix}")


with DAG(
    dag_id="compat_skip",
    schedule=datetime.timedelta(days=1),
    start_date=pendulum.datetime(2021, 1, 1, tz="UTC"),
    catchup=False,
) as dag:
    pipeline("1", TriggerRule.ALL_SUCCESS)
    pipeline("2", TriggerRule.ONE_SUCCESS)
