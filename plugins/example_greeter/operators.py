"""``GreetOperator``: the task side of the example plugin. The operator holds no client code:
it makes a hook and calls it; ``name`` is templated (``"{{ params.who }}"`` works)."""

from __future__ import annotations

from typing import Any

from plugins.example_greeter.hook import GreeterHook
from scheduler import BaseOperator


class GreetOperator(BaseOperator):
    """Greet ``name`` through a greeter connection; the greeting is the task's XCom."""

    template_fields = ("name",)

    def __init__(
        self, *, name: str, greeter_conn_id: str = GreeterHook.default_conn_name, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.name = name
        self.greeter_conn_id = greeter_conn_id

    def execute(self, context: dict[str, Any]) -> str:
        message = GreeterHook(greeter_conn_id=self.greeter_conn_id).greet(self.name)
        print(message)
        return message
