"""``BashOperator``: run a bash command as a task (Airflow's semantics).

The output (stdout and stderr merged) streams into the try's log as it comes; the last line
becomes the XCom. A non-zero exit fails the try, except the ``skip_on_exit_code`` codes
(99 by default), which mark it skipped. ``bash_command`` may name a ``.sh``/``.bash``
template file. The command sees the worker's environment unless ``env`` is given
(``append_env=True`` adds ``env`` to it), plus ``BATON_CTX_*`` variables naming the try.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Container, Mapping, Sequence
from typing import Any

from scheduler.authoring.baseoperator import BaseOperator
from scheduler.authoring.operators.shell import ShellCommand
from scheduler.errors import BatonSkipException, DagDefinitionError, TaskExecutionError
from scheduler.masking import redact


class BashOperator(BaseOperator):
    """Run ``bash -c bash_command`` in its own process group."""

    template_fields: Sequence[str] = ("bash_command", "env", "cwd")
    template_ext: Sequence[str] = (".sh", ".bash")
    ui_color = "#f0ede4"

    def __init__(
        self,
        *,
        bash_command: str,
        env: Mapping[str, str] | None = None,
        append_env: bool = False,
        cwd: str | None = None,
        skip_on_exit_code: int | Container[int] | None = 99,
        output_encoding: str = "utf-8",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.bash_command = bash_command
        self.env = env
        self.append_env = append_env
        self.cwd = cwd
        if skip_on_exit_code is None:
            skip_on_exit_code = ()
        elif isinstance(skip_on_exit_code, int):
            skip_on_exit_code = (skip_on_exit_code,)
        self.skip_on_exit_code: Container[int] = skip_on_exit_code
        self.output_encoding = output_encoding
        self._command: ShellCommand | None = None

    def execute(self, context: Mapping[str, Any]) -> str:
        self._command = ShellCommand(
            [shutil.which("bash") or "/bin/bash", "-c", self._checked_command()],
            env=self.get_env(context),
            cwd=self._checked_cwd(),
            encoding=self.output_encoding,
        )
        result = self._command.run()
        code = result.exit_code
        if code in self.skip_on_exit_code:
            raise BatonSkipException(
                f"the bash command exited with code {code}, one of skip_on_exit_code: skipping"
            )
        if code != 0:
            raise TaskExecutionError(
                f"task '{self.task_id}': the bash command exited with code {code}; its output "
                "is in this try's log"
            )
        return redact(result.last_line)  # the XCom is stored and shown: never a secret

    def on_kill(self) -> None:
        if self._command is not None:
            self._command.kill()

    def get_env(self, context: Mapping[str, Any]) -> dict[str, str]:
        """The command's environment: see the module docstring."""
        if self.env is None:
            env = dict(os.environ)
        elif self.append_env:
            env = {**os.environ, **self.env}
        else:
            env = dict(self.env)
        for key, value in env.items():
            if not isinstance(key, str) or not isinstance(value, str):
                raise DagDefinitionError(
                    f"task '{self.task_id}': env entry {key!r}={value!r} is not a string; "
                    "environment variables are strings, e.g. str(value)",
                    location=self.location,
                )
        return {**env, **context_env(context, self.task_id)}

    def _checked_command(self) -> str:
        if not isinstance(self.bash_command, str) or not self.bash_command.strip():
            raise DagDefinitionError(
                f"task '{self.task_id}': bash_command {self.bash_command!r} must be a "
                "non-empty string",
                location=self.location,
            )
        return self.bash_command

    def _checked_cwd(self) -> str | None:
        if self.cwd is not None and not os.path.isdir(self.cwd):
            raise TaskExecutionError(
                f"task '{self.task_id}': cwd {self.cwd!r} is not an existing directory; "
                "create it or fix cwd"
            )
        return self.cwd


def context_env(context: Mapping[str, Any], task_id: str) -> dict[str, str]:
    """``BATON_CTX_*`` variables (Airflow's ``AIRFLOW_CTX_*``) for the try in ``context``."""
    ti = context.get("ti")
    values = {
        "BATON_CTX_DAG_ID": getattr(ti, "dag_id", None),
        "BATON_CTX_TASK_ID": task_id,
        "BATON_CTX_RUN_ID": context.get("run_id"),
        "BATON_CTX_LOGICAL_DATE": context.get("ts"),
        "BATON_CTX_TRY_NUMBER": context.get("try_number"),
        "BATON_CTX_IDEMPOTENCY_KEY": context.get("idempotency_key"),
    }
    return {key: str(value) for key, value in values.items() if value is not None}
