"""``PythonOperator``: call a Python function as a task (Airflow's semantics).

The function receives ``op_args`` positionally and ``op_kwargs`` by keyword, plus the
context entries its signature asks for: all of them if it takes ``**kwargs``
(``def f(**context)``), otherwise those it names (``def f(ds, ti=None)``).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from scheduler.authoring.baseoperator import BaseOperator
from scheduler.errors import DagDefinitionError

_NAMED = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)


class PythonOperator(BaseOperator):
    """Run ``python_callable(*op_args, **op_kwargs, **<requested context>)``."""

    template_fields: Sequence[str] = ("templates_dict", "op_args", "op_kwargs")
    ui_color = "#ffefeb"

    def __init__(
        self,
        *,
        python_callable: Callable[..., Any],
        op_args: Sequence[Any] | None = None,
        op_kwargs: Mapping[str, Any] | None = None,
        templates_dict: dict[str, Any] | None = None,
        templates_exts: Sequence[str] | None = None,
        show_return_value_in_logs: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not callable(python_callable):
            raise DagDefinitionError(
                f"task '{self.task_id}': python_callable={python_callable!r} is not callable; "
                "pass the function itself (python_callable=my_function, without parentheses)",
                location=self.location,
            )
        self.python_callable = python_callable
        self.op_args = list(op_args or [])
        self.op_kwargs = dict(op_kwargs or {})
        self.templates_dict = templates_dict
        if templates_exts:
            self.template_ext = tuple(templates_exts)
        self.show_return_value_in_logs = show_return_value_in_logs

    def execute(self, context: Mapping[str, Any]) -> Any:
        context = {**context, "templates_dict": self.templates_dict}
        kwargs = determine_kwargs(self.python_callable, self.op_args, context, self.location)
        return self.python_callable(*self.op_args, **{**kwargs, **self.op_kwargs})


def determine_kwargs(
    func: Callable[..., Any],
    args: Sequence[Any],
    context: Mapping[str, Any],
    location: str | None = None,
) -> dict[str, Any]:
    """The context entries ``func`` accepts: all with ``**kwargs``, else the named ones.

    A parameter filled positionally from ``args`` must not share its name with a context
    key (Airflow's rule), since the call would then pass it twice.
    """
    parameters = inspect.signature(func).parameters
    positional = [
        name
        for name, p in parameters.items()
        if p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    ][: len(args)]
    clash = [name for name in positional if name in context]
    if clash:
        raise DagDefinitionError(
            f"{getattr(func, '__name__', func)}() gets '{clash[0]}' from op_args, but "
            f"'{clash[0]}' is also a key of the task context; rename that parameter",
            location=location,
        )
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return dict(context)
    return {
        name: context[name]
        for name, p in parameters.items()
        if p.kind in _NAMED and name in context and name not in positional
    }
