"""A real Baton for end-to-end tests: its own BATON_HOME, DAG folder and scheduler process.

Tests drop DAG files in, run the real ``baton`` CLI and read results through the same
library functions the CLI uses. Waiting is polling with a generous deadline, never a fixed
sleep that a slow machine could outrun.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from scheduler import api
from scheduler.settings import Settings
from tests.databases import migrate_database

BATON = str(Path(sys.executable).with_name("baton"))
FINISHED = {"success", "failed", "compensated", "compensation_failed"}


class Baton:
    def __init__(self, root: Path, **settings: str) -> None:
        self.root = root
        self.home = root / "home"
        self.dags = root / "dags"
        self.dags.mkdir(parents=True, exist_ok=True)
        self.env = {
            **os.environ,
            "BATON_HOME": str(self.home),
            "BATON_DAGS_FOLDER": str(self.dags),
            "BATON_DAGS_ARE_PAUSED_AT_CREATION": "false",
            "BATON_DAG_DIR_LIST_INTERVAL": "0.3",
            "BATON_PARALLELISM": "2",
            "BATON_DATABASE_URL": f"sqlite:///{self.home / 'baton.db'}",
            **{f"BATON_{k.upper()}": v for k, v in settings.items()},
        }
        self.process: subprocess.Popen[bytes] | None = None
        self.scheduler_log = root / "scheduler.log"
        migrate_database(self.env["BATON_DATABASE_URL"], self.home)

    @property
    def settings(self) -> Settings:
        return Settings.from_env(self.env)

    # -- files and commands ----------------------------------------------------------------
    def write_dag(self, name: str, source: str) -> Path:
        path = self.dags / name
        path.write_text(textwrap.dedent(source))
        return path

    def cli(
        self, *args: str, check: bool = True, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [BATON, *args], env=self.env, capture_output=True, text=True, timeout=timeout
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"baton {' '.join(args)} exited {result.returncode}:\n"
                f"{result.stdout}\n{result.stderr}"
            )
        return result

    def cli_json(self, *args: str) -> Any:
        return json.loads(self.cli(*args, "-o", "json").stdout)

    # -- the scheduler process -------------------------------------------------------------
    def start(self) -> None:
        log = open(self.scheduler_log, "ab")  # noqa: SIM115 - closed with the process
        self.process = subprocess.Popen(
            [BATON, "scheduler"], env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        log.close()

    def kill(self, sig: int = signal.SIGKILL) -> None:
        assert self.process is not None
        self.process.send_signal(sig)
        self.process.wait(timeout=60)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def log_text(self) -> str:
        return self.scheduler_log.read_text(errors="replace") if self.scheduler_log.exists() else ""

    # -- waiting ---------------------------------------------------------------------------
    def wait_until(self, what: str, condition: Callable[[], Any], timeout: float = 60) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = condition()
            if value:
                return value
            if self.process is not None and self.process.poll() is not None:
                raise AssertionError(
                    f"the scheduler exited while waiting for {what}:\n{self.log_text()}"
                )
            time.sleep(0.1)
        raise AssertionError(
            f"timed out after {timeout} s waiting for {what}\n{self.log_text()[-4000:]}"
        )

    def dag_ids(self) -> set[str]:
        return {d.dag_id for d in api.list_dags(self.settings)}

    def wait_for_dag(self, dag_id: str, timeout: float = 60) -> None:
        self.wait_until(f"DAG {dag_id} to be parsed", lambda: dag_id in self.dag_ids(), timeout)

    def trigger(self, dag_id: str, conf: dict[str, Any] | None = None) -> str:
        args = ["dags", "trigger", dag_id] + (["--conf", json.dumps(conf)] if conf else [])
        return self.cli_json(*args)["run_id"]

    def wait_for_run(self, dag_id: str, run_id: str, timeout: float = 60) -> str:
        def finished() -> str | None:
            state = api.get_run(self.settings, dag_id, run_id).state
            return state if state in FINISHED else None

        return self.wait_until(f"run {dag_id}/{run_id} to finish", finished, timeout)

    def task_states(self, dag_id: str, run_id: str) -> dict[str, str]:
        return {
            ti.task_id: ti.state for ti in api.list_task_instances(self.settings, dag_id, run_id)
        }

    def task_instance(self, dag_id: str, run_id: str, task_id: str) -> Any:
        return next(
            ti
            for ti in api.list_task_instances(self.settings, dag_id, run_id)
            if ti.task_id == task_id
        )

    def tries(self, dag_id: str, run_id: str, task_id: str) -> list[Any]:
        return api.list_tries(self.settings, dag_id, run_id, task_id)

    def task_log(
        self, dag_id: str, run_id: str, task_id: str, try_number: int | None = None
    ) -> str:
        args = ["tasks", "logs", dag_id, run_id, task_id]
        if try_number is not None:
            args += ["--try", str(try_number)]
        return self.cli(*args).stdout
