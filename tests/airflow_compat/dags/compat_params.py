"""Typed params: defaults validated, reaching templates and tasks as plain values."""

import pendulum

from scheduler import DAG, BashOperator, Param, task

with DAG(
    "compat_params",
    schedule=None,
    start_date=pendulum.datetime(2021, 1, 1, tz="UTC"),
    params={
        "size": Param(5, type="integer", minimum=1, title="Size"),
        "colour": Param("red", enum=["red", "green"]),
        "tags": Param(["a"], type="array"),
    },
):

    @task
    def check(params=None):
        assert params["size"] == 5 and params["colour"] == "red" and params["tags"] == ["a"]
        return params["size"] * 2

    check() >> BashOperator(task_id="templated", bash_command='test "{{ params.colour }}" = red')
