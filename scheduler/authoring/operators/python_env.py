"""What ``PythonVirtualenvOperator`` and ``ExternalPythonOperator`` share: running a task's
function in another interpreter (Airflow's semantics, see ``python_script`` for how).

The function gets ``op_args``, ``op_kwargs`` and the context entries it names (all of them
with ``**kwargs``) among those that can cross to another interpreter: ``ds``, ``ts``,
``logical_date``, ``data_interval_start``/``end``, ``run_id``, ``params``, ``conf``,
``templates_dict``... Live objects (``ti``, ``dag``, ``task``, ``macros``) cannot; a
function that requires one fails with a clear error before anything runs.

Its output (stdout and stderr) streams into the try's log. Its return value is the XCom.
An exception in it fails the try with its message; an exit code listed in
``skip_on_exit_code`` skips the try. ``execution_timeout`` and a cancel kill the process
(and anything it started).
"""

from __future__ import annotations

import inspect
import os
import subprocess
import tempfile
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from scheduler.authoring.operators.python import PythonOperator, determine_kwargs
from scheduler.authoring.operators.python_script import (
    build_script,
    check_function,
    check_serializer,
    dumps,
    function_source,
    loads,
    source_location,
)
from scheduler.authoring.operators.shell import ShellCommand
from scheduler.errors import BatonSkipException, DagDefinitionError, TaskExecutionError

#: Context keys with plain values, which can be sent to another interpreter.
CROSSING_CONTEXT_KEYS = frozenset(
    {
        "ds",
        "ds_nodash",
        "ts",
        "ts_nodash",
        "ts_nodash_with_tz",
        "run_id",
        "task_instance_key_str",
        "logical_date",
        "data_interval_start",
        "data_interval_end",
        "params",
        "conf",
        "try_number",
        "map_index",
        "idempotency_key",
        "templates_dict",
    }
)
# Looks Baton up without importing it (an import costs the try a second).
_BATON_PROBE = "import importlib.util, sys; sys.exit(importlib.util.find_spec('scheduler') is None)"


class BasePythonEnvOperator(PythonOperator):
    """Run ``python_callable``'s source in the interpreter ``python_for_try`` returns."""

    #: ``expect_airflow=True`` checks that the interpreter can import Baton and warns if
    #: not (Airflow's ExternalPythonOperator does this; its virtualenv operator does not).
    warns_without_baton = False

    def __init__(
        self,
        *,
        python_callable: Callable[..., Any],
        serializer: str | None = None,
        op_args: Sequence[Any] | None = None,
        op_kwargs: Mapping[str, Any] | None = None,
        string_args: Iterable[str] | None = None,
        templates_dict: dict[str, Any] | None = None,
        templates_exts: Sequence[str] | None = None,
        expect_airflow: bool = True,
        skip_on_exit_code: int | Container[int] | None = None,
        env_vars: Mapping[str, str] | None = None,
        inherit_env: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            python_callable=python_callable,
            op_args=op_args,
            op_kwargs=op_kwargs,
            templates_dict=templates_dict,
            templates_exts=templates_exts,
            **kwargs,
        )
        where = f"task '{self.task_id}'"
        check_function(python_callable, where, self.location)
        self.serializer = check_serializer(serializer, where, self.location)
        self.string_args = [str(arg) for arg in string_args or ()]
        self.expect_airflow = bool(expect_airflow)
        if skip_on_exit_code is None:
            skip_on_exit_code = ()
        elif isinstance(skip_on_exit_code, int):
            skip_on_exit_code = (skip_on_exit_code,)
        self.skip_on_exit_code: Container[int] = skip_on_exit_code
        self.env_vars = _checked_env(env_vars, where, self.location)
        self.inherit_env = bool(inherit_env)
        self._command: ShellCommand | None = None

    def python_for_try(self) -> str:
        """The interpreter to run the function in (a subclass makes or checks it)."""
        raise NotImplementedError

    def execute(self, context: Mapping[str, Any]) -> Any:
        crossing = {k: v for k, v in context.items() if k in CROSSING_CONTEXT_KEYS}
        crossing["templates_dict"] = self.templates_dict
        self._refuse_live_objects(context, crossing)
        python = self.python_for_try()
        if self.expect_airflow and self.warns_without_baton:
            self._warn_without_baton(python)
        kwargs = determine_kwargs(self.python_callable, self.op_args, crossing, self.location)
        return self.run_function(python, self.op_args, {**kwargs, **self.op_kwargs})

    def on_kill(self) -> None:
        if self._command is not None:
            self._command.kill()

    def run_function(self, python: str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> Any:
        """Run the function in ``python`` with these arguments; its return value."""
        name = self.python_callable.__name__
        with tempfile.TemporaryDirectory(prefix="baton-python-") as folder:
            tmp = Path(folder)
            paths = [tmp / "script.in", tmp / "script.out", tmp / "string_args.txt"]
            paths.append(tmp / "error.txt")
            script = tmp / "script.py"
            source = function_source(self.python_callable)
            filename, first_line = source_location(self.python_callable)
            script.write_text(build_script(source, name, self.serializer, filename, first_line))
            paths[0].write_bytes(self._serialized_arguments(list(args), dict(kwargs)))
            paths[1].touch()  # empty if the function ends with sys.exit(0): no value, None
            paths[2].write_text("\n".join(self.string_args))
            self.log.info("Running %s() in %s (serializer %r)", name, python, self.serializer)
            self._command = ShellCommand([python, str(script), *map(str, paths)], env=self._env())
            code = self._command.run().exit_code
            if code in self.skip_on_exit_code:
                raise BatonSkipException(f"{name}() exited with code {code}: skipping")
            if code != 0:
                raise TaskExecutionError(self._failure(code, paths[3]))
            return loads(paths[1].read_bytes(), self.serializer)

    def _serialized_arguments(self, args: list[Any], kwargs: dict[str, Any]) -> bytes:
        try:
            return dumps({"args": args, "kwargs": kwargs}, self.serializer)
        except Exception as exc:
            bad = [k for k, v in kwargs.items() if not _serializes(v, self.serializer)]
            which = f"op_kwargs/context entries {bad}" if bad else "op_args"
            other = "serializer='pickle'" if self.serializer == "json" else "plain values"
            raise TaskExecutionError(
                f"task '{self.task_id}': the arguments of {self.python_callable.__name__}() "
                f"cannot be sent with serializer={self.serializer!r} ({which}: {exc}); pass "
                f"plain values or use {other}"
            ) from None

    def _failure(self, code: int, error_file: Path) -> str:
        where = f"task '{self.task_id}'"
        if error_file.is_file() and error_file.read_text().strip():
            return f"{where}: {error_file.read_text().strip()} (the traceback is in this try's log)"
        if code < 0:
            return f"{where}: the Python process was killed by signal {-code}"
        return (
            f"{where}: the Python process exited with code {code}; its output is in this try's log"
        )

    def _env(self) -> dict[str, str]:
        # The worker's VIRTUAL_ENV names Baton's own environment, not the one run here.
        inherited = os.environ if self.inherit_env else {}
        env = {k: v for k, v in inherited.items() if k != "VIRTUAL_ENV"}
        env.setdefault("PYTHONUNBUFFERED", "1")  # print() reaches the log as it happens
        env.update(self.env_vars)
        return env

    def _refuse_live_objects(self, context: Mapping[str, Any], crossing: Mapping[str, Any]) -> None:
        """A parameter without a default named after a context object that cannot cross."""
        name = self.python_callable.__name__
        parameters = inspect.signature(self.python_callable).parameters
        for index, (param, p) in enumerate(parameters.items()):
            if p.default is not inspect.Parameter.empty or index < len(self.op_args):
                continue
            if param in context and param not in crossing and param not in self.op_kwargs:
                raise TaskExecutionError(
                    f"task '{self.task_id}': {name}() takes '{param}', a live object of the "
                    "task context that cannot be sent to another interpreter; pass the values "
                    f"it needs through op_kwargs or templates (e.g. '{{{{ ti.run_id }}}}'), or "
                    "take plain context entries such as ds, logical_date or params"
                )

    def _warn_without_baton(self, python: str) -> None:
        """``expect_airflow=True`` (Airflow's default): say so when the environment cannot
        import Baton, as Airflow warns when it lacks Airflow."""
        probe = subprocess.run(
            [python, "-c", _BATON_PROBE],
            capture_output=True,
            stdin=subprocess.DEVNULL,
            cwd=tempfile.gettempdir(),  # not the worker's folder, which may hold Baton's source
        )
        if probe.returncode != 0:
            self.log.warning(
                "expect_airflow=True but %s cannot import Baton: only plain context entries "
                "reach the function; pass expect_airflow=False to silence this",
                python,
            )


def _serializes(value: Any, serializer: str) -> bool:
    try:
        dumps(value, serializer)
    except Exception:
        return False
    return True


def _checked_env(env: Mapping[str, str] | None, where: str, location: str | None) -> dict[str, str]:
    values = dict(env or {})
    for key, value in values.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise DagDefinitionError(
                f"{where}: env_vars entry {key!r}={value!r} is not a string; environment "
                "variables are strings, e.g. str(value)",
                location=location,
            )
    return values
