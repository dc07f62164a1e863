"""ShortCircuitOperator and @task.short_circuit, with and without downstream trigger rules."""

import pendulum

from scheduler import DAG, EmptyOperator, ShortCircuitOperator, TriggerRule, chain, task

with DAG(dag_id="compat_short_circuit", schedule=None, start_date=pendulum.datetime(2021, 1, 1)):
    cond_true = ShortCircuitOperator(task_id="condition_is_true", python_callable=lambda: True)
    cond_false = ShortCircuitOperator(task_id="condition_is_false", python_callable=lambda: False)
    chain(cond_true, *[EmptyOperator(task_id=f"true_{i}") for i in (1, 2)])
    chain(cond_false, *[EmptyOperator(task_id=f"false_{i}") for i in (1, 2)])

    @task.short_circuit(ignore_downstream_trigger_rules=False)
    def check(condition: bool) -> bool:
        return condition

    task_1, task_2, task_3, task_4, task_5, task_6 = (
        EmptyOperator(task_id=f"task_{i}") for i in range(1, 7)
    )
    task_7 = EmptyOperator(task_id="task_7", trigger_rule=TriggerRule.ALL_DONE)
    short = check.override(task_id="short_circuit")(condition=False)
    chain(task_1, [task_2, short], [task_3, task_4], [task_5, task_6], task_7)
