"""Jinja2 rendering of an operator's ``template_fields``, with Airflow's semantics.

* A sandboxed environment with ``StrictUndefined`` (Airflow's default ``template_undefined``):
  a typo such as ``{{ dss }}`` fails the try instead of rendering an empty string.
* Templates are searched in the DAG file's folder, then ``dag.template_searchpath``.
* A string field ending with one of the operator's ``template_ext`` (``.sql``, ``.sh``) names
  a template file, loaded from those folders.
* Lists, tuples, sets and dicts are rendered item by item. An ``XComArg`` (or a ``@dag``
  argument) is replaced by its run value, which is not rendered again (as in Airflow).
* ``dag.user_defined_macros`` become globals, ``dag.user_defined_filters`` filters, next to
  Airflow's ``ds``/``ds_nodash``/``ts``/``ts_nodash``/``ts_nodash_with_tz`` filters.

Rendering happens on a shallow copy of the operator, so the DAG object cached by the worker
stays pristine for the next try.
"""

from __future__ import annotations

import copy
from datetime import date, datetime
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from scheduler.authoring import DagParam, XComArg, resolve_xcom_args
from scheduler.errors import DagDefinitionError

_FILTERS = {
    "ds": lambda value: value.strftime("%Y-%m-%d"),
    "ds_nodash": lambda value: value.strftime("%Y%m%d"),
    "ts": lambda value: value.isoformat(),
    "ts_nodash": lambda value: value.strftime("%Y%m%dT%H%M%S"),
    "ts_nodash_with_tz": lambda value: value.isoformat().replace("-", "").replace(":", ""),
}


def template_searchpath(dag: Any) -> list[str]:
    """The DAG file's folder first, then ``dag.template_searchpath`` (a str or a list)."""
    folders: list[str] = []
    fileloc = getattr(dag, "fileloc", None)
    if fileloc:
        folders.append(str(Path(fileloc).resolve().parent))
    extra = getattr(dag, "template_searchpath", None) or []
    extra_folders = [extra] if isinstance(extra, str | Path) else list(extra)
    return folders + [str(folder) for folder in extra_folders]


def create_jinja_env(dag: Any) -> jinja2.Environment:
    """The environment templates of ``dag`` render in."""
    env = SandboxedEnvironment(
        loader=jinja2.FileSystemLoader(template_searchpath(dag)),
        undefined=getattr(dag, "template_undefined", None) or jinja2.StrictUndefined,
        extensions=["jinja2.ext.do"],
        cache_size=0,
    )
    env.filters.update(_FILTERS)
    env.globals.update(getattr(dag, "user_defined_macros", None) or {})
    env.filters.update(getattr(dag, "user_defined_filters", None) or {})
    return env


class TemplateRenderer:
    """Renders values for one try; the Jinja environment is built only when needed."""

    def __init__(self, dag: Any, context: dict[str, Any]) -> None:
        self._dag = dag
        self._context = context
        self._env: jinja2.Environment | None = None

    @property
    def env(self) -> jinja2.Environment:
        if self._env is None:
            self._env = create_jinja_env(self._dag)
        return self._env

    def render(self, value: Any, template_ext: tuple[str, ...] = ()) -> Any:
        """``value`` with every string rendered, recursively; other objects unchanged."""
        if isinstance(value, XComArg | DagParam):
            return resolve_xcom_args(value, self._context)
        if isinstance(value, str):
            return self._render_string(value, template_ext)
        if isinstance(value, tuple) and hasattr(value, "_fields"):  # a NamedTuple
            return type(value)(*(self.render(v, template_ext) for v in value))
        if isinstance(value, list | tuple | set | frozenset):
            return type(value)(self.render(v, template_ext) for v in value)
        if isinstance(value, dict):
            return {k: self.render(v, template_ext) for k, v in value.items()}
        if isinstance(value, datetime | date | int | float | bool) or value is None:
            return value
        if getattr(value, "template_fields", None):  # a nested templated object
            return self._render_nested(value)
        return value

    def _render_string(self, text: str, template_ext: tuple[str, ...]) -> str:
        if template_ext and text.endswith(tuple(template_ext)):
            template = self.env.get_template(text)
        else:
            template = self.env.from_string(text)
        return template.render(self._context)

    def _render_nested(self, obj: Any) -> Any:
        rendered = copy.copy(obj)
        ext = tuple(getattr(obj, "template_ext", ()) or ())
        for name in obj.template_fields:
            object.__setattr__(rendered, name, self.render(getattr(obj, name), ext))
        return rendered


def render_task(task: Any, dag: Any, context: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """A copy of ``task`` with its template fields rendered, and the rendered values.

    An unknown field name is a DAG definition error.
    """
    rendered = copy.copy(task)
    renderer = TemplateRenderer(dag, context)
    ext = tuple(getattr(task, "template_ext", ()) or ())
    values: dict[str, Any] = {}
    for name in getattr(task, "template_fields", ()) or ():
        if not hasattr(task, name):
            raise DagDefinitionError(
                f"task '{task.task_id}' lists '{name}' in template_fields but "
                f"{type(task).__name__} has no attribute '{name}'; fix template_fields"
            )
        values[name] = renderer.render(getattr(task, name), ext)
        # Plain attribute set: an operator's __setattr__ hooks (dependency wiring) must not
        # run on the copy, whose sets of upstream/downstream ids it shares with the original.
        object.__setattr__(rendered, name, values[name])
    return rendered, values
