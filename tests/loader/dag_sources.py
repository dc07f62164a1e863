"""Source text of the DAG files the loader tests write into a temporary folder."""

from __future__ import annotations


def good_dag(dag_id: str, tasks: tuple[str, ...] = ("extract", "load")) -> str:
    """A valid DAG whose tasks run one after the other."""
    operators = "\n".join(
        f"    {name} = PythonOperator(task_id={name!r}, python_callable=noop)" for name in tasks
    )
    chain = " >> ".join(tasks)
    return f"""\
from datetime import datetime

from scheduler.authoring import DAG, PythonOperator


def noop():
    return None


with DAG({dag_id!r}, start_date=datetime(2024, 1, 1), schedule=None):
{operators}
    {chain}
"""


HEADER = "from scheduler.authoring import DAG  # a DAG file\n"
