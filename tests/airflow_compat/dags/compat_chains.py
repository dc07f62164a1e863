"""chain, chain_linear and cross_downstream with Airflow's shapes."""

import pendulum

from scheduler import DAG, EmptyOperator, chain, chain_linear, cross_downstream

with DAG("compat_chains", schedule=None, start_date=pendulum.datetime(2021, 1, 1, tz="UTC")):
    create = [EmptyOperator(task_id=f"create_{i}") for i in range(3)]
    chain(*create)  # create_0 >> create_1 >> create_2
    search = EmptyOperator(task_id="search")
    delete = [EmptyOperator(task_id=f"delete_{i}") for i in range(3)]
    chain(create, search, delete)  # every create before search, search before every delete
    op1, op2, op3, op4, op5, op6, op7 = (EmptyOperator(task_id=f"op{i}") for i in range(1, 8))
    chain_linear(op1, [op2, op3], [op4, op5, op6], op7)  # lists of different lengths
    sources = [EmptyOperator(task_id=f"src_{i}") for i in range(2)]
    sinks = [EmptyOperator(task_id=f"sink_{i}") for i in range(2)]
    cross_downstream(sources, sinks)
    delete[-1] >> op1
