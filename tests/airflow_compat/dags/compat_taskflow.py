"""TaskFlow: @dag params, multiple_outputs, XComArg keys, a custom operator, the context."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pendulum

from scheduler import BaseOperator, BashOperator, dag, get_current_context, task

if TYPE_CHECKING:
    from scheduler import Context


class EchoOperator(BaseOperator):
    """Returns its (templated) message: a custom operator in ten lines."""

    template_fields = ("message",)

    def __init__(self, *, message: str, **kwargs):
        super().__init__(**kwargs)
        self.message = message

    def execute(self, context: Context):
        return {"origin": self.message}


@dag(schedule=None, start_date=pendulum.datetime(2021, 1, 1, tz="UTC"), catchup=False)
def compat_taskflow(prefix: str = "order"):
    """### TaskFlow conformance"""
    source = EchoOperator(task_id="source", message="{{ params.prefix }}-{{ ds_nodash }}")

    @task()
    def extract(raw: dict) -> dict:
        assert raw["origin"].startswith("order-"), raw
        return json.loads('{"1001": 301.27, "1002": 433.21, "1003": 502.22}')

    @task(multiple_outputs=True)
    def transform(orders: dict):
        return {"total": round(sum(orders.values()), 2), "count": len(orders)}

    @task
    def load(total: float, count: int) -> str:
        context = get_current_context()  # reached without being passed in
        assert context["ti"].task_id == "load"
        assert (total, count) == (1236.7, 3), (total, count)
        return f"{count} orders"

    summary = transform(extract(source.output))
    loaded = load(summary["total"], summary["count"])
    # An XComArg in an f-string is a template pulling the value; the dependency is explicit.
    loaded >> BashOperator(task_id="report", bash_command=f'test "{loaded}" = "3 orders"')


compat_taskflow()
