"""Branching as in Airflow's branch examples: a classic branch with labels, a nested one."""

import pendulum

from scheduler import DAG, BranchPythonOperator, EmptyOperator, Label, TriggerRule, task

with DAG(
    dag_id="compat_branching",
    start_date=pendulum.datetime(2021, 1, 1, tz="UTC"),
    catchup=False,
    schedule="@daily",
):
    first = EmptyOperator(task_id="first")
    branching = BranchPythonOperator(task_id="branching", python_callable=lambda: "branch_b")
    join = EmptyOperator(task_id="join", trigger_rule=TriggerRule.NONE_FAILED_MIN_ONE_SUCCESS)
    first >> branching
    for option in ("a", "b", "c"):
        chosen = EmptyOperator(task_id=f"branch_{option}")
        branching >> Label(option) >> chosen >> EmptyOperator(task_id=f"follow_{option}") >> join

    # Nested: the second branch sits on the path the first one does not take.
    @task.branch()
    def branch(task_id_to_return: str) -> str:
        return task_id_to_return

    branch_1 = branch.override(task_id="branch_1")(task_id_to_return="true_1")
    join_1 = EmptyOperator(task_id="join_1", trigger_rule=TriggerRule.NONE_FAILED_MIN_ONE_SUCCESS)
    true_1 = EmptyOperator(task_id="true_1")
    false_1 = EmptyOperator(task_id="false_1")
    branch_2 = branch.override(task_id="branch_2")(task_id_to_return="true_2")
    join_2 = EmptyOperator(task_id="join_2", trigger_rule=TriggerRule.NONE_FAILED_MIN_ONE_SUCCESS)
    true_2 = EmptyOperator(task_id="true_2")
    false_2 = EmptyOperator(task_id="false_2")
    false_3 = EmptyOperator(task_id="false_3")
    join >> branch_1
    branch_1 >> true_1 >> join_1
    branch_1 >> false_1 >> branch_2 >> [true_2, false_2] >> join_2 >> false_3 >> join_1
