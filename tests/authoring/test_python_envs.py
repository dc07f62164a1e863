"""Python environments, the pure parts: source extraction, the data format, the script,
venv specs and installer commands, interpreter lookup, and the operators' argument checks."""

from __future__ import annotations

import subprocess
import sys
import warnings
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from scheduler.authoring import (
    DAG,
    BashOperator,
    ExternalPythonOperator,
    PythonVirtualenvOperator,
    serialize_dag,
    task,
)
from scheduler.authoring.operators.interpreters import (
    check_python_path,
    check_python_version,
    resolve_python_version,
)
from scheduler.authoring.operators.python_script import (
    build_script,
    check_serializer,
    dumps,
    function_source,
    loads,
    source_location,
)
from scheduler.authoring.operators.venv_cache import (
    PipInstaller,
    UvInstaller,
    VenvSpec,
    requirement_lines,
)
from scheduler.authoring.sensors import BaseSensorOperator
from scheduler.errors import DagDefinitionError, TaskExecutionError
from scheduler.runner.context import ContextDateTime


def plain(x, y=2):
    return x + y


@task.virtualenv(
    requirements=["six"],
    system_site_packages=False,
)
def decorated(n: int) -> int:
    return n * 3


class Holder:
    @staticmethod
    def nested():
        @task.external_python(python="/usr/bin/python3")
        @staticmethod
        def inner():
            return 1

        return inner


# -- source extraction ----------------------------------------------------------------------


def test_the_source_is_the_def_without_the_task_decorator_on_the_same_lines():
    source = function_source(decorated.function)
    assert source.startswith("\n\n\n\ndef decorated(n: int) -> int:\n")  # 4 lines blanked
    assert "requirements" not in source and "@task" not in source
    filename, first_line = source_location(decorated.function)
    assert filename == __file__
    lines = Path(__file__).read_text().splitlines()
    assert lines[first_line - 1].startswith("@task.virtualenv(")
    assert lines[first_line + 3].startswith("def decorated(")


def test_other_decorators_stay_and_nested_functions_are_dedented():
    source = function_source(Holder.nested().function)
    assert source.splitlines()[:3] == ["", "@staticmethod", "def inner():"]


def test_every_task_decorator_is_removed():
    with DAG("d"):

        @task.branch_virtualenv(requirements=["six"])
        def pick():
            return "a"

    assert function_source(pick.function).strip().startswith("def pick():")


def test_a_plain_function_keeps_its_source():
    assert function_source(plain) == "def plain(x, y=2):\n    return x + y\n"


# -- the data format and the script ---------------------------------------------------------


def test_json_carries_datetimes_and_dates():
    value = {"when": datetime(2026, 1, 2, 3, 4, tzinfo=UTC), "day": date(2026, 1, 2), "n": [1]}
    assert loads(dumps(value, "json"), "json") == value


def test_pickle_sends_the_context_datetimes_as_plain_datetimes():
    when = ContextDateTime.of(datetime(2026, 1, 2, tzinfo=UTC))
    data = dumps({"args": [when], "kwargs": {}}, "pickle")
    assert b"scheduler" not in data  # the other interpreter has no Baton to unpickle it with
    assert type(loads(data, "pickle")["args"][0]) is datetime


def test_json_refuses_what_it_cannot_carry():
    with pytest.raises(TypeError):
        dumps({1, 2}, "json")


def run_script(tmp_path: Path, function, args, kwargs, serializer="json", strings=()):
    script = tmp_path / "script.py"
    source = function_source(function)
    script.write_text(
        build_script(source, function.__name__, serializer, *source_location(function))
    )
    paths = [tmp_path / n for n in ("in", "out", "strings", "error")]
    paths[0].write_bytes(dumps({"args": args, "kwargs": kwargs}, serializer))
    paths[2].write_text("\n".join(strings))
    done = subprocess.run(
        [sys.executable, str(script), *map(str, paths)], capture_output=True, text=True
    )
    error = paths[3].read_text() if paths[3].exists() else ""
    return done, loads(paths[1].read_bytes(), serializer) if paths[1].exists() else None, error


def echo_types(when, tags, **rest):
    return {"when": when, "type": type(when).__name__, "tags": sorted(tags), **rest}


def test_the_script_calls_the_function_with_its_arguments(tmp_path: Path):
    when = datetime(2026, 1, 2, tzinfo=UTC)
    done, result, _ = run_script(tmp_path, echo_types, [when, ["b", "a"]], {"extra": 1})
    assert done.returncode == 0, done.stderr
    assert result == {"when": when, "type": "datetime", "tags": ["a", "b"], "extra": 1}


def test_the_script_with_pickle_carries_sets(tmp_path: Path):
    done, result, _ = run_script(tmp_path, echo_types, [None, {"y", "x"}], {}, "pickle")
    assert done.returncode == 0, done.stderr
    assert result["tags"] == ["x", "y"]


def uses_string_args():
    return virtualenv_string_args  # noqa: F821 - a global of the generated script


def test_string_args_are_a_global_list(tmp_path: Path):
    done, result, _ = run_script(tmp_path, uses_string_args, [], {}, strings=["a b", "c"])
    assert (done.returncode, result) == (0, ["a b", "c"])


def raises(limit):
    raise ValueError(f"limit {limit} exceeded")


def test_an_exception_is_printed_and_written_for_the_error(tmp_path: Path):
    done, _, error = run_script(tmp_path, raises, [5], {})
    assert done.returncode == 1
    assert "Traceback" in done.stderr and "ValueError: limit 5 exceeded" in done.stderr
    line = raises.__code__.co_firstlineno + 1
    assert f'File "{__file__}", line {line}, in raises' in done.stderr  # the real file
    assert error == "raises() raised ValueError: limit 5 exceeded"


def test_a_function_that_cannot_be_defined_there_is_a_clear_error(tmp_path: Path):
    script = tmp_path / "script.py"
    source = "@functools.cache\ndef cached():\n    return 1\n"  # functools: the DAG file's
    script.write_text(build_script(source, "cached", "json", "/dags/x.py", 10))
    paths = [tmp_path / n for n in ("in", "out", "strings", "error")]
    paths[0].write_bytes(dumps({"args": [], "kwargs": {}}, "json"))
    paths[2].write_text("")
    done = subprocess.run([sys.executable, str(script), *map(str, paths)], capture_output=True)
    assert done.returncode == 1 and b'File "/dags/x.py", line 10' in done.stderr
    assert paths[3].read_text() == (
        "defining cached() in this interpreter failed: NameError: name 'functools' is not defined"
    )


def returns_a_set():
    return {1}


def test_a_return_value_json_cannot_carry_is_a_clear_error(tmp_path: Path):
    done, _, error = run_script(tmp_path, returns_a_set, [], {})
    assert done.returncode == 1
    assert "cannot be serialised with json" in error and "serializer='pickle'" in error


# -- serializers and functions --------------------------------------------------------------


def test_serializers():
    assert check_serializer(None, "t", None) == "json"
    assert check_serializer("pickle", "t", None) == "pickle"
    for name in ("cloudpickle", "dill"):
        with pytest.raises(DagDefinitionError, match="not supported by Baton"):
            check_serializer(name, "t", None)
    with pytest.raises(DagDefinitionError, match="not a serializer"):
        check_serializer("yaml", "t", None)


def test_a_function_without_readable_source_is_refused():
    namespace: dict = {}
    exec("def made_up():\n    return 1\n", namespace)
    with (
        DAG("d"),
        pytest.raises(DagDefinitionError, match="source of made_up\\(\\) cannot be read"),
    ):
        PythonVirtualenvOperator(task_id="m", python_callable=namespace["made_up"])


def test_only_def_functions_can_run_elsewhere():
    with DAG("d"):
        with pytest.raises(DagDefinitionError, match="defined with def"):
            PythonVirtualenvOperator(task_id="l", python_callable=lambda: 1)

        def gen():
            yield 1

        with pytest.raises(DagDefinitionError, match="uses yield"):
            ExternalPythonOperator(task_id="g", python_callable=gen, python="/usr/bin/python3")


# -- venv specs and installers --------------------------------------------------------------


def test_requirement_lines_read_lists_and_requirement_files():
    text = "# pinned\nsix==1.17.0  # compat\n\ntabulate\n"
    assert requirement_lines([text, "attrs"]) == ("six==1.17.0", "tabulate", "attrs")


def test_the_venv_key_ignores_requirement_order_but_not_the_rest():
    spec = VenvSpec(python="/p", python_version="3.11.7", requirements=("a", "b"))
    assert spec.key() == VenvSpec("/p", "3.11.7", requirements=("b", "a")).key()
    others = [
        VenvSpec("/p", "3.12.1", requirements=("a", "b")),
        VenvSpec("/q", "3.11.7", requirements=("a", "b")),
        VenvSpec("/p", "3.11.7", requirements=("a",)),
        VenvSpec("/p", "3.11.7", requirements=("a", "b"), system_site_packages=False),
        VenvSpec("/p", "3.11.7", requirements=("a", "b"), pip_install_options=("--pre",)),
        VenvSpec("/p", "3.11.7", requirements=("a", "b"), index_urls=("https://i/simple",)),
    ]
    assert len({spec.key(), *(o.key() for o in others)}) == 7


def test_installer_commands():
    spec = VenvSpec(
        python="/usr/bin/python3",
        python_version="3.11.2",
        requirements=("six",),
        system_site_packages=False,
        pip_install_options=("--no-deps",),
        index_urls=("https://a/simple", "https://b/simple"),
    )
    venv, req = Path("/c/venv"), Path("/c/venv/req.txt")
    uv = UvInstaller("/bin/uv")
    assert uv.create_command(spec, venv) == [
        "/bin/uv", "venv", "--python", "/usr/bin/python3",
        "--python-preference", "only-system", "/c/venv",
    ]  # fmt: skip
    assert uv.install_command(spec, venv, req) == [
        "/bin/uv", "pip", "install", "--python", "/c/venv/bin/python",
        "--index-url", "https://a/simple", "--extra-index-url", "https://b/simple",
        "--no-deps", "-r", "/c/venv/req.txt",
    ]  # fmt: skip
    pip = PipInstaller()
    assert pip.create_command(spec, venv) == ["/usr/bin/python3", "-m", "venv", "/c/venv"]
    with_site = VenvSpec("/usr/bin/python3", "3.11.2", system_site_packages=True)
    assert pip.create_command(with_site, venv) == [
        "/usr/bin/python3", "-m", "venv", "--system-site-packages", "--without-pip", "/c/venv",
    ]  # fmt: skip
    assert pip.install_command(spec, venv, req)[:4] == [
        "/c/venv/bin/python",
        "-m",
        "pip",
        "install",
    ]


# -- interpreters ---------------------------------------------------------------------------


def test_python_version_must_be_a_python3_version_string():
    assert check_python_version(None) is None
    assert check_python_version("3.11") == "3.11"
    for bad, message in [(3.1, "must be a string"), ("2.7", "Python 3"), ("3.x", "not a version")]:
        with pytest.raises(ValueError, match=message):
            check_python_version(bad)


def test_the_workers_own_interpreter_serves_its_version():
    major_minor = "{}.{}".format(*sys.version_info[:2])
    assert resolve_python_version(None)[0] == sys.executable
    assert resolve_python_version(major_minor)[0] == sys.executable


def test_a_missing_python_version_is_a_clear_error():
    with pytest.raises(TaskExecutionError, match=r"no python3\.99 on the worker's PATH"):
        resolve_python_version("3.99")


def test_python_paths_are_checked(tmp_path: Path):
    assert check_python_path(sys.executable).startswith("{}.{}".format(*sys.version_info[:2]))
    with pytest.raises(TaskExecutionError, match="must be an absolute path"):
        check_python_path("bin/python")
    with pytest.raises(TaskExecutionError, match="does not exist"):
        check_python_path(str(tmp_path / "nope" / "python"))
    with pytest.raises(TaskExecutionError, match="did not run as a Python interpreter"):
        check_python_path("/bin/true")


# -- operator arguments ---------------------------------------------------------------------


def test_virtualenv_arguments_are_checked_where_the_task_is_defined():
    with DAG("d"):
        with pytest.raises(DagDefinitionError, match="index_urls_from_connection_ids"):
            PythonVirtualenvOperator(
                task_id="a", python_callable=plain, index_urls_from_connection_ids=["pypi"]
            )
        with pytest.raises(DagDefinitionError, match="must be a string") as info:
            PythonVirtualenvOperator(task_id="b", python_callable=plain, python_version=3.11)
        assert "test_python_envs.py:" in str(info.value)
        with pytest.raises(DagDefinitionError, match="not supported by Baton"):
            PythonVirtualenvOperator(task_id="c", python_callable=plain, serializer="dill")
        with pytest.raises(DagDefinitionError, match="absolute path"):
            ExternalPythonOperator(task_id="d", python_callable=plain, python="")
        with pytest.raises(DagDefinitionError, match="is not a string"):
            ExternalPythonOperator(
                task_id="e", python_callable=plain, python="/p", env_vars={"N": 1}
            )


def test_a_requirements_string_is_one_item_and_options_are_kept():
    with DAG("d"):
        op = PythonVirtualenvOperator(
            task_id="v",
            python_callable=plain,
            requirements="six\ntabulate",
            pip_install_options=["--no-deps"],
            index_urls="https://i/simple",
            skip_on_exit_code=3,
        )
    assert op.requirements == ["six\ntabulate"]
    assert (op.pip_install_options, op.index_urls) == (["--no-deps"], ["https://i/simple"])
    assert 3 in op.skip_on_exit_code and ".txt" in op.template_ext
    assert {"requirements", "op_args", "op_kwargs", "templates_dict"} <= set(op.template_fields)


# -- the decorators -------------------------------------------------------------------------


def test_each_decorator_makes_its_operator():
    with DAG("decorated") as flow:
        decorated(2)

        @task.bash(env={"A": "1"})
        def command(name):
            return f"echo {name}"

        @task.sensor(poke_interval=5, timeout=60, mode="poke", soft_fail=True)
        def ready(path):
            return True

        @task.python
        def same_as_task():
            return 1

        command("x")
        ready("/tmp")
        same_as_task()
    ops = flow.task_dict
    assert isinstance(ops["decorated"], PythonVirtualenvOperator)
    assert ops["decorated"].requirements == ["six"] and ops["decorated"].op_args == [2]
    assert isinstance(ops["command"], BashOperator) and ops["command"].env == {"A": "1"}
    assert isinstance(ops["ready"], BaseSensorOperator)
    assert (ops["ready"].poke_interval, ops["ready"].timeout, ops["ready"].soft_fail) == (
        5,
        60,
        True,
    )
    operators = {t.task_id: t.operator for t in serialize_dag(flow).tasks.values()}
    assert operators == {
        "decorated": "@task.virtualenv",
        "command": "@task.bash",
        "ready": "@task.sensor",
        "same_as_task": "@task",
    }


def test_override_keeps_the_decorator_kind():
    with DAG("d") as flow:
        decorated.override(task_id="again", python_version="3")(1)
    op = flow.task_dict["again"]
    assert isinstance(op, PythonVirtualenvOperator) and op.python_version == "3"


def test_bash_and_sensor_ignore_multiple_outputs_with_a_warning_as_airflow_does():
    with DAG("d"), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")

        @task.bash(multiple_outputs=True)
        def command():
            return "echo"

        command()
    assert any(
        "multiple_outputs=True is not supported by @task.bash" in str(w.message) for w in caught
    )
