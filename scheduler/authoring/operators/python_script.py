"""The script that runs a task's function in another Python interpreter, and its data format.

``PythonVirtualenvOperator`` and ``ExternalPythonOperator`` cannot hand a function object to
another interpreter, so, as Airflow does, they send its *source*: ``function_source`` takes
the ``def`` out of the DAG file without its ``@task...`` decorator, and ``build_script``
pastes it into a small standalone program (standard library only: the other interpreter has
no Baton). The program reads the arguments from a file, calls the function and writes the
return value to another file; an exception is printed (it lands in the try's log) and its
``Type: message`` written to a third file for the try's error.

Arguments and return value cross as JSON (``serializer="json"``, the default) or pickle.
JSON carries ``datetime``/``date`` values (the context's ``logical_date``...) as tagged
objects that the script turns back into datetimes, so a function may still take them.
"""

from __future__ import annotations

import ast
import inspect
import json
import pickle
import textwrap
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from scheduler.errors import DagDefinitionError

#: ``serializer=`` values: Baton's ``json`` and Airflow's ``pickle``.
SERIALIZERS = ("json", "pickle")
#: Airflow's other values, which would need the package inside the target environment.
UNSUPPORTED_SERIALIZERS = ("cloudpickle", "dill")
_TAG = "__baton_type__"


def check_serializer(serializer: str | None, where: str, location: str | None) -> str:
    """``serializer`` if Baton supports it (None means ``"json"``), else a clear error."""
    if serializer is None:
        return "json"
    if serializer in SERIALIZERS:
        return serializer
    if serializer in UNSUPPORTED_SERIALIZERS:
        raise DagDefinitionError(
            f"{where}: serializer={serializer!r} is not supported by Baton; use "
            "serializer='json' (the default) or serializer='pickle'",
            location=location,
        )
    raise DagDefinitionError(
        f"{where}: serializer={serializer!r} is not a serializer; use 'json' (the default) or "
        "'pickle'",
        location=location,
    )


def check_function(function: Callable[..., Any], where: str, location: str | None) -> None:
    """Only a plain ``def`` function whose source can be read can be sent (Airflow's rule)."""
    if not inspect.isfunction(function) or function.__name__ == "<lambda>":
        raise DagDefinitionError(
            f"{where}: python_callable={function!r} must be a function defined with def "
            "(its source is run in the other interpreter); lambdas, methods and callable "
            "objects cannot be",
            location=location,
        )
    if inspect.isgeneratorfunction(function):
        raise DagDefinitionError(
            f"{where}: {function.__name__}() uses yield; a function run in another "
            "interpreter must return its value",
            location=location,
        )
    try:
        function_source(function)
    except (OSError, TypeError, SyntaxError) as exc:
        raise DagDefinitionError(
            f"{where}: the source of {function.__name__}() cannot be read ({exc}); define it "
            "with def in a file",
            location=location,
        ) from None


def function_source(function: Callable[..., Any]) -> str:
    """The dedented source of ``function``, its task decorators blanked out.

    Blank lines rather than none keep the line numbers, so that the script can compile the
    source as the DAG file's lines (``source_location``) and tracebacks point into it.
    """
    source = textwrap.dedent(inspect.getsource(function))
    tree = ast.parse(source)
    node = tree.body[0]
    if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        raise DagDefinitionError(f"the source of {function.__name__}() is not a def statement")
    lines = source.splitlines()
    drop: set[int] = set()
    for decorator in node.decorator_list:
        if _is_task_decorator(decorator):
            end = decorator.end_lineno or decorator.lineno
            drop.update(range(decorator.lineno - 1, end))
    return "\n".join("" if index in drop else line for index, line in enumerate(lines)) + "\n"


def source_location(function: Callable[..., Any]) -> tuple[str, int]:
    """The file and first line (its first decorator's) of ``function``'s source."""
    return inspect.getsourcefile(function) or "<task function>", inspect.getsourcelines(function)[1]


def _is_task_decorator(node: ast.expr) -> bool:
    """``@task``, ``@task.virtualenv(...)``, ``@airflow.decorators.task.bash``: any ``task``
    decorator, which has no meaning (and often no name) in the other interpreter."""
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Name):
        return node.id == "task"
    return isinstance(node, ast.Attribute) and _names_task(node.value)


def _names_task(node: ast.expr) -> bool:
    """Whether a dotted name (``task``, ``airflow.decorators.task``) has a ``task`` part."""
    while isinstance(node, ast.Attribute):
        if node.attr == "task":
            return True
        node = node.value
    return isinstance(node, ast.Name) and node.id == "task"


# -- data across the interpreters ---------------------------------------------------------


def dumps(value: Any, serializer: str) -> bytes:
    """``value`` as the bytes the script reads (``TypeError``/``ValueError`` if it cannot)."""
    if serializer == "pickle":
        return pickle.dumps(_plain(value))
    return json.dumps(_tagged(value)).encode()


def loads(data: bytes, serializer: str) -> Any:
    """What the script wrote back; an empty file is ``None``."""
    if not data:
        return None
    if serializer == "pickle":
        return pickle.loads(data)
    return json.loads(data.decode(), object_hook=_untag)


def _plain(value: Any) -> Any:
    """Builtin types only: Baton's datetime subclass would not unpickle without Baton."""
    if isinstance(value, datetime):
        return datetime.fromisoformat(value.isoformat())
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if type(value) in (list, tuple):  # a NamedTuple stays as it is
        return type(value)(_plain(v) for v in value)
    return value


def _tagged(value: Any) -> Any:
    if isinstance(value, datetime):
        return {_TAG: "datetime", "value": value.isoformat()}
    if isinstance(value, date):
        return {_TAG: "date", "value": value.isoformat()}
    if isinstance(value, dict):
        return {k: _tagged(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_tagged(v) for v in value]
    return value


def _untag(obj: dict[str, Any]) -> Any:
    kind = obj.get(_TAG)
    if kind == "datetime":
        return datetime.fromisoformat(obj["value"])
    if kind == "date":
        return date.fromisoformat(obj["value"])
    return obj


# -- the script ---------------------------------------------------------------------------

# Kept to Python 3.7 syntax and the standard library: it runs in whatever interpreter the
# task names. Names start with _baton_ so that they do not collide with the user's function.
_PRELUDE = """\
# Written by Baton: runs one task function in this interpreter.
import json as _baton_json
import pickle as _baton_pickle
import sys as _baton_sys
import traceback as _baton_traceback
from datetime import date as _baton_date, datetime as _baton_datetime

_BATON_TAG = "__baton_type__"


def _baton_untag(obj):
    kind = obj.get(_BATON_TAG)
    if kind == "datetime":
        return _baton_datetime.fromisoformat(obj["value"])
    if kind == "date":
        return _baton_date.fromisoformat(obj["value"])
    return obj


def _baton_tag(value):
    if isinstance(value, _baton_datetime):
        return {_BATON_TAG: "datetime", "value": value.isoformat()}
    if isinstance(value, _baton_date):
        return {_BATON_TAG: "date", "value": value.isoformat()}
    if isinstance(value, dict):
        return {k: _baton_tag(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_baton_tag(v) for v in value]
    return value


def _baton_write(path, text):
    with open(path, "w") as f:
        f.write(text)


with open(_baton_sys.argv[3]) as _baton_f:
    virtualenv_string_args = _baton_f.read().splitlines()

"""

# Defines the function; an error doing so (a name the module level needs) is reported too.
_DEFINE = """\
try:
    exec(compile(%(source)s, %(filename)s, "exec"))
except Exception as _baton_exc:
    _baton_traceback.print_exc()
    _baton_write(
        _baton_sys.argv[4],
        "defining %(name)s() in this interpreter failed: %%s: %%s"
        %% (type(_baton_exc).__name__, _baton_exc),
    )
    _baton_sys.exit(1)
"""

_MAIN = """

def _baton_main(serializer, function_name):
    input_path, output_path, error_path = _baton_sys.argv[1], _baton_sys.argv[2], _baton_sys.argv[4]
    with open(input_path, "rb") as f:
        data = f.read()
    if serializer == "pickle":
        payload = _baton_pickle.loads(data)
    else:
        payload = _baton_json.loads(data.decode(), object_hook=_baton_untag)
    try:
        result = globals()[function_name](*payload["args"], **payload["kwargs"])
    except Exception as exc:
        # Without this script's own frame: the traceback starts in the task's function.
        _baton_traceback.print_exception(type(exc), exc, exc.__traceback__.tb_next)
        _baton_write(error_path, "%s() raised %s: %s" % (function_name, type(exc).__name__, exc))
        _baton_sys.exit(1)
    try:
        if serializer == "pickle":
            out = _baton_pickle.dumps(result)
        else:
            out = _baton_json.dumps(_baton_tag(result)).encode()
    except Exception as exc:
        _baton_write(
            error_path,
            "the return value of %s() (%s) cannot be serialised with %s: %s; return JSON "
            "values (str, int, float, bool, None, lists, dicts) or use serializer='pickle'"
            % (function_name, type(result).__name__, serializer, exc),
        )
        _baton_sys.exit(1)
    with open(output_path, "wb") as f:
        f.write(out)


_baton_main(%(serializer)r, %(function_name)r)
"""


def build_script(
    source: str,
    function_name: str,
    serializer: str,
    filename: str = "<task function>",
    first_line: int = 1,
) -> str:
    """The program run as ``python script.py INPUT OUTPUT STRING_ARGS ERROR``.

    The function is compiled as lines ``first_line``... of ``filename`` (the DAG file), so a
    traceback in the try's log shows the DAG file's own lines.
    """
    offset = "\n" * (max(first_line, 1) - 1)
    define = _DEFINE % {
        "source": repr(offset + source),
        "filename": repr(filename),
        "name": function_name,
    }
    main = _MAIN.replace("%(serializer)r", repr(serializer)).replace(
        "%(function_name)r", repr(function_name)
    )
    return _PRELUDE + define + main
