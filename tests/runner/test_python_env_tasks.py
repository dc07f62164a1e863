"""Python environments in real tries: virtualenvs built (with uv and with pip) and reused,
install failures, the function's output, errors, timeouts and exit codes; @task.bash and
@task.sensor. Requirements come from the package index (``six``, a tiny pure-Python one)."""

from __future__ import annotations

import logging
import multiprocessing
import os
import sys
import time
from pathlib import Path

import pytest

from scheduler.authoring.operators.venv_cache import (
    MARKER,
    PipInstaller,
    VenvSpec,
    default_installer,
    ensure_venv,
)

from .support import DagFolder, xcom

HEADER = """
    import sys, time
    from datetime import timedelta
    from scheduler import DAG, task, PokeReturnValue
    from scheduler import PythonVirtualenvOperator, ExternalPythonOperator, EmptyOperator
    from scheduler import BranchExternalPythonOperator
"""


@pytest.fixture(autouse=True)
def baton_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("BATON_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def venv_dirs(home: Path) -> list[Path]:
    return sorted((home / "venvs").glob("venv-*.d-*"))


VENV_DAG = (
    HEADER
    + """
    with DAG("demo"):
        @task.virtualenv(requirements=["six==1.17.0"], system_site_packages=False)
        def in_venv(n, ds=None, logical_date=None, params=None):
            import six, sys
            print("stdout from the venv", six.__version__)
            print("stderr from the venv", file=sys.stderr)
            return {"n": n * 2, "six": six.__version__, "prefix": sys.prefix, "ds": ds,
                    "year": logical_date.year, "params": params}
        in_venv(21)

        @task.virtualenv(requirements=["baton-no-such-package-q7x==1.0"])
        def broken():
            return 1
        broken()

        @task.virtualenv(requirements=["six"], pip_install_options=["--no-such-option"])
        def bad_option():
            return 1
        bad_option()

        @task.virtualenv(multiple_outputs=True)
        def split():
            return {"a": 1, "b": [2]}
        split()
"""
)


def test_a_virtualenv_task_runs_in_its_venv_and_the_next_try_reuses_it(
    dags: DagFolder, baton_home: Path
) -> None:
    dags.write(VENV_DAG)
    finished, log = dags.run("in_venv")
    assert finished.state == "success", log
    value = xcom(finished)
    assert value["n"] == 42 and value["six"] == "1.17.0"
    assert value["ds"] == "2026-11-28" and value["year"] == 2026 and value["params"] == {}
    assert value["prefix"].startswith(str(baton_home / "venvs"))
    assert "stdout from the venv 1.17.0" in log and "stderr from the venv" in log
    assert "Created the virtualenv" in log
    [built] = venv_dirs(baton_home)
    assert (built / MARKER).is_file()

    again, log = dags.run("in_venv", try_number=2)
    assert again.state == "success"
    assert "Reusing the cached virtualenv" in log and "Creating a virtualenv" not in log
    assert venv_dirs(baton_home) == [built]


def test_a_failing_install_fails_the_try_with_the_installers_message(
    dags: DagFolder, baton_home: Path
) -> None:
    dags.write(VENV_DAG)
    finished, log = dags.run("broken")
    assert finished.state == "failed"
    assert "installing the requirements failed" in finished.error
    assert "baton-no-such-package-q7x" in finished.error
    assert "baton-no-such-package-q7x" in log
    assert venv_dirs(baton_home) == []  # nothing half-built is left to be reused
    assert not list((baton_home / "venvs").glob("venv-????????????????"))


def test_pip_install_options_reach_the_installer(dags: DagFolder) -> None:
    dags.write(VENV_DAG)
    finished, log = dags.run("bad_option")
    assert finished.state == "failed" and "--no-such-option" in finished.error
    assert "--no-such-option" in log


def test_multiple_outputs_from_a_virtualenv(dags: DagFolder) -> None:
    dags.write(VENV_DAG)
    finished, _ = dags.run("split")
    assert finished.state == "success"
    assert (xcom(finished, "a"), xcom(finished, "b")) == (1, [2])


def test_pip_builds_the_same_environment_without_uv(tmp_path: Path) -> None:
    spec = VenvSpec(
        sys.executable,
        "{}.{}.{}".format(*sys.version_info[:3]),
        requirements=("six",),
        system_site_packages=False,
    )
    log = logging.getLogger("test.pip")
    python = ensure_venv(spec, tmp_path / "cache", log, installer=PipInstaller())
    import subprocess

    done = subprocess.run([str(python), "-c", "import six; print(six.__version__)"], text=True,
                          capture_output=True)  # fmt: skip
    assert done.returncode == 0 and done.stdout.strip(), done.stderr
    assert (python.parent / "pip").exists()  # a pip-made venv


def _build(cache: str, queue: multiprocessing.Queue) -> None:
    spec = VenvSpec(sys.executable, "x", requirements=("six",), system_site_packages=False)
    queue.put(str(ensure_venv(spec, Path(cache), logging.getLogger("t"), default_installer())))


def test_concurrent_tries_build_one_venv(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    queue: multiprocessing.Queue = multiprocessing.Queue()
    workers = [multiprocessing.Process(target=_build, args=(str(cache), queue)) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    results = {queue.get(timeout=5) for _ in workers}
    assert len(results) == 1
    builds = list(cache.glob("venv-*.d-*"))
    assert len(builds) == 1 and (builds[0] / MARKER).is_file()


def test_an_unfinished_build_is_replaced(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    spec = VenvSpec(sys.executable, "x", system_site_packages=False)
    dead = cache / f"venv-{spec.key()}.d-deadbeef"
    (dead / "bin").mkdir(parents=True)  # a worker died while building: no marker
    os.symlink(dead.name, cache / f"venv-{spec.key()}")
    python = ensure_venv(spec, cache, logging.getLogger("t"))
    assert not dead.exists()
    assert (python.parent.parent / MARKER).is_file()


RUN_DAG = (
    HEADER
    + """
    def boom(limit):
        raise ValueError(f"limit {limit} exceeded")

    def sleeper(pid_file):
        import os, time
        open(pid_file, "w").write(str(os.getpid()))
        time.sleep(60)

    def leaves(code):
        import sys
        print("leaving with", code)
        sys.exit(code)

    def pickled(tags):
        return sorted(tags)

    def wants_ti(ti):
        return 1

    def strings_and_templates(templates_dict=None):
        return [virtualenv_string_args, templates_dict]

    def which():
        import sys
        return sys.executable

    def pick(n):
        return "big" if n > 10 else "small"

    with DAG("demo"):
        ExternalPythonOperator(task_id="boom", python=sys.executable, python_callable=boom,
                               op_args=[5], expect_airflow=False)
        ExternalPythonOperator(task_id="slow", python=sys.executable, python_callable=sleeper,
                               op_args=["{{ params.pid_file }}"],
                               execution_timeout=timedelta(seconds=1))
        ExternalPythonOperator(task_id="skips", python=sys.executable, python_callable=leaves,
                               op_args=[3], skip_on_exit_code=[3])
        ExternalPythonOperator(task_id="exits", python=sys.executable, python_callable=leaves,
                               op_args=[4], skip_on_exit_code=[3])
        ExternalPythonOperator(task_id="exits0", python=sys.executable, python_callable=leaves,
                               op_args=[0])
        ExternalPythonOperator(task_id="pickled", python=sys.executable, python_callable=pickled,
                               op_kwargs={"tags": {"b", "a"}}, serializer="pickle")
        ExternalPythonOperator(task_id="json_set", python=sys.executable,
                               python_callable=pickled, op_kwargs={"tags": {"b", "a"}})
        ExternalPythonOperator(task_id="wants_ti", python=sys.executable,
                               python_callable=wants_ti)
        ExternalPythonOperator(task_id="strings", python=sys.executable,
                               python_callable=strings_and_templates, string_args=["x", "y"],
                               templates_dict={"day": "{{ ds }}"})
        ExternalPythonOperator(task_id="missing", python="/nowhere/bin/python",
                               python_callable=which)
        PythonVirtualenvOperator(task_id="no_version", python_version="3.99",
                                 python_callable=which)
        BranchExternalPythonOperator(task_id="branch", python=sys.executable,
                                     python_callable=pick, op_args=[3]) >> [
            EmptyOperator(task_id="big"), EmptyOperator(task_id="small")]
        ExternalPythonOperator(task_id="system", python="/usr/bin/python3",
                               python_callable=which)
        ExternalPythonOperator(task_id="system_quiet", python="/usr/bin/python3",
                               python_callable=which, expect_airflow=False)
"""
)


def test_an_exception_in_the_function_fails_the_try_with_its_message(dags: DagFolder) -> None:
    lines = dags.write(RUN_DAG).read_text().splitlines()
    line = lines.index('    raise ValueError(f"limit {limit} exceeded")') + 1
    finished, log = dags.run("boom")
    assert finished.state == "failed" and finished.retryable
    assert "boom() raised ValueError: limit 5 exceeded" in finished.error
    assert "Traceback" in log and "ValueError: limit 5 exceeded" in log
    assert f'demo.py", line {line}, in boom' in log  # the DAG file's own line
    assert "script.py" not in log
    assert 'raise ValueError(f"limit {limit} exceeded")' in log


def test_execution_timeout_kills_the_interpreter(dags: DagFolder, tmp_path: Path) -> None:
    dags.write(RUN_DAG)
    pid_file = tmp_path / "pid"
    started = time.monotonic()
    finished, _ = dags.run("slow", conf={"pid_file": str(pid_file)})
    assert time.monotonic() - started < 20
    assert finished.state == "failed" and "execution_timeout" in finished.error
    pid = int(pid_file.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_exit_codes_skip_or_fail(dags: DagFolder) -> None:
    dags.write(RUN_DAG)
    assert dags.run("skips")[0].state == "skipped"
    finished, _ = dags.run("exits")
    assert finished.state == "failed" and "exited with code 4" in finished.error
    finished, log = dags.run("exits0")  # sys.exit(0): success without a value
    assert (finished.state, finished.xcoms) == ("success", ())
    assert "leaving with 0" in log


def test_pickle_carries_what_json_cannot(dags: DagFolder) -> None:
    dags.write(RUN_DAG)
    finished, _ = dags.run("pickled")
    assert (finished.state, xcom(finished)) == ("success", ["a", "b"])
    refused, _ = dags.run("json_set")
    assert refused.state == "failed"
    assert "serializer='json'" in refused.error and "serializer='pickle'" in refused.error


def test_a_live_context_object_cannot_cross(dags: DagFolder) -> None:
    dags.write(RUN_DAG)
    finished, _ = dags.run("wants_ti")
    assert finished.state == "failed" and "takes 'ti', a live object" in finished.error


def test_string_args_and_templates_dict(dags: DagFolder) -> None:
    dags.write(RUN_DAG)
    finished, _ = dags.run("strings")
    assert xcom(finished) == [["x", "y"], {"day": "2026-11-28"}]


def test_missing_interpreters_are_clear_errors(dags: DagFolder) -> None:
    dags.write(RUN_DAG)
    finished, _ = dags.run("missing")
    assert "python='/nowhere/bin/python' does not exist on this worker" in finished.error
    finished, _ = dags.run("no_version")
    assert "python_version='3.99': no python3.99 on the worker's PATH" in finished.error


BASH_AND_SENSOR_DAG = (
    HEADER
    + """
    with DAG("demo"):
        @task.bash
        def greet(name):
            return f"echo hello {name} on {{{{ ds }}}}"
        greet("ada")

        @task.bash
        def nothing():
            return None
        nothing()

        @task.bash
        def skip():
            return "exit 99"
        skip()

        @task.sensor(poke_interval=0.1, timeout=10)
        def counted(path):
            import os
            n = int(open(path).read()) + 1 if os.path.exists(path) else 1
            open(path, "w").write(str(n))
            return PokeReturnValue(is_done=n >= 3, xcom_value={"pokes": n})
        counted("{{ params.counter }}")

        @task.sensor(poke_interval=0.1, timeout=0.3)
        def never():
            return False
        never()

        @task.sensor(poke_interval=0.1, timeout=0.3, soft_fail=True)
        def never_soft():
            return False
        never_soft()
"""
)


def test_task_bash_runs_the_returned_command_rendered(dags: DagFolder) -> None:
    dags.write(BASH_AND_SENSOR_DAG)
    finished, log = dags.run("greet")
    assert (finished.state, xcom(finished)) == ("success", "hello ada on 2026-11-28")
    assert "hello ada on 2026-11-28" in log


def test_task_bash_needs_a_command_and_skips_on_99(dags: DagFolder) -> None:
    dags.write(BASH_AND_SENSOR_DAG)
    finished, _ = dags.run("nothing")
    assert finished.state == "failed" and "must return the bash command" in finished.error
    assert dags.run("skip")[0].state == "skipped"


def test_task_sensor_pokes_until_done(dags: DagFolder, tmp_path: Path) -> None:
    dags.write(BASH_AND_SENSOR_DAG)
    finished, log = dags.run("counted", conf={"counter": str(tmp_path / "n")})
    assert (finished.state, xcom(finished)) == ("success", {"pokes": 3})
    assert "Success criteria met after 3 poke(s)" in log
    timed_out, _ = dags.run("never")
    assert timed_out.state == "failed" and "BatonSensorTimeout" in timed_out.error
    assert not timed_out.retryable
    assert dags.run("never_soft")[0].state == "skipped"


@pytest.mark.skipif(not os.path.exists("/usr/bin/python3"), reason="needs a system Python")
def test_expect_airflow_warns_when_the_interpreter_has_no_baton(dags: DagFolder) -> None:
    dags.write(RUN_DAG)
    finished, log = dags.run("system")
    assert (finished.state, xcom(finished)) == ("success", "/usr/bin/python3")
    assert "expect_airflow=True but /usr/bin/python3 cannot import Baton" in log
    quiet, log = dags.run("system_quiet")
    assert quiet.state == "success" and "cannot import Baton" not in log


def test_a_branch_chosen_in_another_interpreter(dags: DagFolder) -> None:
    dags.write(RUN_DAG)
    finished, log = dags.run("branch")
    assert (finished.state, finished.skip_tasks) == ("success", ("big",))
    assert xcom(finished) == "small" and "Branch into small" in log


def _other_python(monkeypatch: pytest.MonkeyPatch) -> str | None:
    """A Python 3 other than this one, if pyenv has one to offer (PYENV_VERSION selects it)."""
    import subprocess

    for version in ("3.12", "3.13", "3.10"):
        env = {**os.environ, "PYENV_VERSION": f"{version}:system"}
        if subprocess.run([f"python{version}", "-V"], env=env, capture_output=True).returncode == 0:
            monkeypatch.setenv("PYENV_VERSION", f"{version}:system")
            return version
    return None


def test_python_version_builds_the_venv_with_that_interpreter(
    dags: DagFolder, monkeypatch: pytest.MonkeyPatch
) -> None:
    version = _other_python(monkeypatch)
    if version is None:
        pytest.skip("no other Python 3 on this machine")
    dags.write(
        HEADER
        + f"""
    with DAG("demo"):
        @task.virtualenv(python_version="{version}", requirements=["six"])
        def which():
            import sys, six
            return "%d.%d" % sys.version_info[:2]
        which()
    """
    )
    finished, log = dags.run("which")
    assert (finished.state, xcom(finished)) == ("success", version), log
