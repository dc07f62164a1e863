"""``PythonVirtualenvOperator`` and ``ExternalPythonOperator`` (Airflow's semantics).

    def count_rows():
        import tabulate                     # imports go inside: the function runs elsewhere
        return len(tabulate.tabulate([[1, 2]]).splitlines())

    PythonVirtualenvOperator(task_id="rows", python_callable=count_rows,
                             requirements=["tabulate==0.9.0"], python_version="3.11")
    ExternalPythonOperator(task_id="legacy", python_callable=count_rows,
                           python="/opt/venvs/legacy/bin/python")

Unlike Airflow, whose virtualenv operator builds a throw-away environment on every try
unless ``venv_cache_path`` is given, Baton caches every environment (``venv_cache``): the
first try builds it, the following ones start at once. ``venv_cache_path`` chooses where.
``expect_airflow`` only makes ExternalPythonOperator warn when the interpreter cannot import
Baton; in a virtualenv it changes nothing, as in Airflow when Airflow is not installed there.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import Any

from scheduler.authoring.operators.interpreters import (
    check_python_path,
    check_python_version,
    resolve_python_version,
)
from scheduler.authoring.operators.python import PythonOperator
from scheduler.authoring.operators.python_env import BasePythonEnvOperator
from scheduler.authoring.operators.venv_cache import VenvSpec, ensure_venv, requirement_lines
from scheduler.errors import DagDefinitionError, TaskExecutionError


def default_venv_cache() -> Path:
    """``$BATON_HOME/venvs`` (BATON_HOME defaults to ~/baton, as in ``Settings``)."""
    return Path(os.environ.get("BATON_HOME", "~/baton")).expanduser().resolve() / "venvs"


class PythonVirtualenvOperator(BasePythonEnvOperator):
    """Run a function in a virtualenv made from ``requirements`` (see the module docstring)."""

    template_fields: Sequence[str] = (
        *PythonOperator.template_fields,
        "requirements",
        "index_urls",
        "venv_cache_path",
    )
    template_ext: Sequence[str] = (".txt",)  # requirements="requirements.txt": a file

    def __init__(
        self,
        *,
        python_callable: Callable[..., Any],
        requirements: str | Collection[str] | None = None,
        python_version: str | None = None,
        system_site_packages: bool = True,
        pip_install_options: Collection[str] | None = None,
        index_urls: str | Collection[str] | None = None,
        index_urls_from_connection_ids: str | Collection[str] | None = None,
        venv_cache_path: str | os.PathLike[str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(python_callable=python_callable, **kwargs)
        where = f"task '{self.task_id}'"
        if index_urls_from_connection_ids:
            raise DagDefinitionError(
                f"{where}: index_urls_from_connection_ids is not supported by Baton; pass the "
                "index URLs as index_urls=[...]",
                location=self.location,
            )
        try:
            self.python_version = check_python_version(python_version)
        except ValueError as exc:
            raise DagDefinitionError(f"{where}: {exc}", location=self.location) from None
        self.requirements = _as_list(requirements)
        self.system_site_packages = bool(system_site_packages)
        self.pip_install_options = [str(option) for option in pip_install_options or ()]
        self.index_urls = _as_list(index_urls)
        self.venv_cache_path = os.fspath(venv_cache_path) if venv_cache_path else None

    def venv_spec(self) -> VenvSpec:
        """The environment this try needs (the interpreter is looked up on this worker)."""
        try:
            python, version = resolve_python_version(self.python_version)
        except TaskExecutionError as exc:
            raise TaskExecutionError(f"task '{self.task_id}': {exc}") from None
        return VenvSpec(
            python=python,
            python_version=version,
            requirements=requirement_lines(self.requirements),
            system_site_packages=self.system_site_packages,
            pip_install_options=tuple(self.pip_install_options),
            index_urls=tuple(self.index_urls),
        )

    def python_for_try(self) -> str:
        cache = Path(self.venv_cache_path) if self.venv_cache_path else default_venv_cache()
        return str(ensure_venv(self.venv_spec(), cache, self.log))


class ExternalPythonOperator(BasePythonEnvOperator):
    """Run a function in an existing interpreter, ``python`` (an absolute path)."""

    template_fields: Sequence[str] = (*PythonOperator.template_fields, "python")
    warns_without_baton = True

    def __init__(
        self,
        *,
        python: str,
        python_callable: Callable[..., Any],
        expect_pendulum: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(python_callable=python_callable, **kwargs)
        if not python:  # a string, a template or an XComArg (resolved when the try runs)
            raise DagDefinitionError(
                f"task '{self.task_id}': python={python!r} must be the absolute path of a "
                "Python interpreter, such as '/opt/venvs/etl/bin/python'",
                location=self.location,
            )
        self.python = python
        # Airflow checks for pendulum to pass its datetimes; Baton's are the standard
        # library's and always cross, so there is nothing to check.
        self.expect_pendulum = bool(expect_pendulum)

    def python_for_try(self) -> str:
        if not isinstance(self.python, str):
            raise TaskExecutionError(
                f"task '{self.task_id}': python={self.python!r} must be the path of a Python "
                "interpreter, a string"
            )
        try:
            version = check_python_path(self.python)
        except TaskExecutionError as exc:
            raise TaskExecutionError(f"task '{self.task_id}': {exc}") from None
        self.log.info("Using Python %s at %s", version, self.python)
        return self.python


def _as_list(value: str | Collection[str] | None) -> list[str]:
    if not value:
        return []
    if isinstance(value, str):
        return [value]
    return [str(item) for item in value]
