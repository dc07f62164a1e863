"""BashOperator.execute against a real bash: streaming, exit codes, env, cwd, cleanup."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import psutil
import pytest

from scheduler.authoring import BashOperator
from scheduler.authoring.operators.shell import ShellCommand
from scheduler.errors import BatonSkipException, BatonTaskTimeout, TaskExecutionError

CONTEXT = {"run_id": "manual__1", "try_number": 2, "idempotency_key": "d/manual__1/t/2"}
ROOT = Path(__file__).resolve().parents[2]


def _bash(command: str, **kwargs) -> BashOperator:
    return BashOperator(task_id="sh", bash_command=command, **kwargs)


def _wait_until_gone(pid: int) -> bool:
    """True once ``pid`` no longer runs (a zombie counts as gone); waits up to 10 s."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.02)
    return False


def test_output_is_streamed_to_stdout_and_the_last_line_returned(capfd):
    result = _bash("echo first; echo to-stderr >&2; printf 'last\\n'").execute(CONTEXT)
    assert result == "last"
    assert capfd.readouterr().out == "first\nto-stderr\nlast\n"


def test_each_line_is_written_while_the_command_still_runs(tmp_path):
    """The command waits for a file that the reader creates on seeing the first line."""
    flag = tmp_path / "seen"
    lines: list[str] = []

    class Reader:
        def write(self, text: str) -> None:
            lines.append(text.rstrip("\n"))
            flag.touch()

        def flush(self) -> None:
            pass

    script = (
        f"echo first; for i in $(seq 1000); do [ -f {flag} ] && break; sleep 0.01; done; "
        f"[ -f {flag} ] && echo streamed || echo buffered"
    )
    ShellCommand(["bash", "-c", script]).run(Reader())
    assert lines == ["first", "streamed"]


def test_non_zero_exit_raises_with_the_code():
    with pytest.raises(TaskExecutionError, match="exited with code 3"):
        _bash("echo oops; exit 3").execute(CONTEXT)


def test_skip_exit_code_skips():
    with pytest.raises(BatonSkipException, match="code 99"):
        _bash("exit 99").execute(CONTEXT)
    with pytest.raises(BatonSkipException):
        _bash("exit 4", skip_on_exit_code=[4, 5]).execute(CONTEXT)
    with pytest.raises(TaskExecutionError, match="code 99"):
        _bash("exit 99", skip_on_exit_code=None).execute(CONTEXT)


def test_env_replaces_the_environment_unless_append_env(monkeypatch):
    monkeypatch.setenv("BATON_TEST_INHERITED", "inherited")
    command = 'echo "${BATON_TEST_INHERITED:-unset} $OWN $BATON_CTX_RUN_ID"'
    assert _bash(command, env={"OWN": "mine"}).execute(CONTEXT) == "unset mine manual__1"
    appended = _bash(command, env={"OWN": "mine"}, append_env=True).execute(CONTEXT)
    assert appended == "inherited mine manual__1"
    assert _bash(command).execute(CONTEXT) == "inherited  manual__1"


def test_context_variables_describe_the_try():
    command = 'echo "$BATON_CTX_TASK_ID $BATON_CTX_TRY_NUMBER $BATON_CTX_IDEMPOTENCY_KEY"'
    assert _bash(command).execute(CONTEXT) == "sh 2 d/manual__1/t/2"


def test_cwd_is_honoured(tmp_path):
    assert _bash("pwd -P", cwd=str(tmp_path)).execute(CONTEXT) == str(tmp_path.resolve())


def test_missing_cwd_is_an_error(tmp_path):
    with pytest.raises(TaskExecutionError, match="is not an existing directory"):
        _bash("pwd", cwd=str(tmp_path / "nope")).execute(CONTEXT)


def test_interrupted_try_kills_the_whole_process_group(monkeypatch):
    """A timeout raised in the main thread while bash runs kills bash and its children."""
    pids: list[int] = []

    class ArmOnFirstLine:
        def write(self, text: str) -> None:
            pids.extend(int(p) for p in text.split())
            signal.setitimer(signal.ITIMER_REAL, 0.05)

        def flush(self) -> None:
            pass

    def on_alarm(signum, frame):
        raise BatonTaskTimeout("execution_timeout reached")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    monkeypatch.setattr(sys, "stdout", ArmOnFirstLine())
    try:
        with pytest.raises(BatonTaskTimeout):
            _bash("sleep 60 & echo $$ $!; wait").execute(CONTEXT)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    bash_pid, sleep_pid = pids
    assert _wait_until_gone(bash_pid)
    assert _wait_until_gone(sleep_pid)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux")
def test_bash_dies_with_its_worker():
    worker = textwrap.dedent(
        """
        from scheduler.authoring import BashOperator
        BashOperator(task_id="t", bash_command="echo $$; sleep 60").execute({})
        """
    )
    process = subprocess.Popen(
        [sys.executable, "-c", worker], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        bash_pid = int(process.stdout.readline())
        assert psutil.pid_exists(bash_pid)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        assert _wait_until_gone(bash_pid)
    finally:
        process.kill()
        process.stdout.close()


def test_on_kill_stops_the_running_command(monkeypatch):
    started = threading.Event()
    errors: list[BaseException] = []

    class Started:
        def write(self, text: str) -> None:
            started.set()

        def flush(self) -> None:
            pass

    def run() -> None:
        try:
            operator.execute(CONTEXT)
        except BaseException as exc:
            errors.append(exc)

    monkeypatch.setattr(sys, "stdout", Started())
    operator = _bash("echo started; sleep 60")
    operator.on_kill()  # nothing started yet: a no-op
    thread = threading.Thread(target=run)
    thread.start()
    assert started.wait(10)
    operator.on_kill()
    thread.join(10)
    assert not thread.is_alive()
    assert isinstance(errors[0], TaskExecutionError)
    assert f"exited with code -{signal.SIGKILL.value}" in str(errors[0])


def test_template_fields_and_ext_are_airflows():
    assert BashOperator.template_fields == ("bash_command", "env", "cwd")
    assert BashOperator.template_ext == (".sh", ".bash")
