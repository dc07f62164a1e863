"""XComs the ways Airflow's example_xcom pushes and pulls them."""

import pendulum

from scheduler import DAG, BashOperator, XComArg, task

VALUE_1 = [1, 2, 3]
VALUE_2 = {"a": "b"}


@task
def push(ti=None):
    ti.xcom_push(key="value from pusher 1", value=VALUE_1)


@task
def push_by_returning():
    return VALUE_2


@task
def puller(pulled_value_2, ti=None):
    assert ti.xcom_pull(task_ids="push", key="value from pusher 1") == VALUE_1
    assert pulled_value_2 == VALUE_2


@task
def pull_from_bash(ti=None):
    assert ti.xcom_pull(task_ids="bash_push") == "value_by_return"
    assert ti.xcom_pull(task_ids="bash_push", key="manually_pushed") == "pushed from a template"


with DAG(
    "compat_xcom", schedule="@once", start_date=pendulum.datetime(2021, 1, 1, tz="UTC")
) as dag:
    bash_push = BashOperator(
        task_id="bash_push",
        bash_command="echo "
        '"{{ ti.xcom_push(key="manually_pushed", value="pushed from a template") }}"'
        ' && echo "value_by_return"',
    )
    bash_pull = BashOperator(
        task_id="bash_pull",
        bash_command=f'test "{XComArg(bash_push, key="manually_pushed")}" = '
        f'"pushed from a template" && test "{XComArg(bash_push)}" = "value_by_return"',
        do_xcom_push=False,
    )
    [bash_pull, pull_from_bash()] << bash_push
    puller(push_by_returning()) << push()
