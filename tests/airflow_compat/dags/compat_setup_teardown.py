"""Setup and teardown: a teardown runs after a failed task; the run state ignores it."""

import pendulum

from scheduler import DAG, BashOperator, setup, task, teardown

with DAG("compat_setup_teardown", schedule=None, start_date=pendulum.datetime(2021, 1, 1)):
    create = BashOperator(task_id="create", bash_command="echo create").as_setup()
    work = BashOperator(task_id="work", bash_command="exit 1")
    delete = BashOperator(task_id="delete", bash_command="echo delete").as_teardown(setups=create)
    create >> work >> delete

with DAG("compat_setup_teardown_ok", schedule=None, start_date=pendulum.datetime(2021, 1, 1)):

    @setup
    def outer_setup():
        return "cluster-1"

    @teardown
    def outer_teardown(cluster_id):
        raise RuntimeError(f"could not delete {cluster_id}")  # does not fail the run

    @task
    def outer_work():
        return "done"

    with outer_teardown(outer_setup()):
        outer_work()
