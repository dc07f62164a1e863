"""Task groups: nested TaskGroup blocks and a @task_group called in a loop."""

import pendulum

from scheduler import DAG, BashOperator, EmptyOperator, TaskGroup, task, task_group


@task
def task_start():
    return "[start]"


@task
def step_1(value: int) -> str:
    return f"[ step 1 {value} ]"


@task
def step_2(value: str) -> str:
    return f"[ step 2 {value} ]"


@task_group
def section(value: int) -> None:
    """Three steps that belong together."""
    step_2(step_1(value))


with DAG("compat_groups", schedule=None, start_date=pendulum.datetime(2021, 1, 1, tz="UTC")):
    start = EmptyOperator(task_id="start")
    with TaskGroup("section_1", tooltip="Tasks for section_1") as section_1:
        task_1 = EmptyOperator(task_id="task_1")
        task_1 >> [
            BashOperator(task_id="task_2", bash_command="echo 1"),
            EmptyOperator(task_id="task_3"),
        ]
    with TaskGroup("section_2", tooltip="Tasks for section_2") as section_2:
        EmptyOperator(task_id="task_1")
        with TaskGroup("inner_section_2"):
            [EmptyOperator(task_id="task_2"), EmptyOperator(task_id="task_3")] >> EmptyOperator(
                task_id="task_4"
            )
    end = EmptyOperator(task_id="end")
    start >> section_1 >> section_2 >> end
    first = task_start()
    for i in range(2):
        end >> first >> section(i)
