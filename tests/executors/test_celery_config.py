"""The Celery executor's settings and the worker command's refusals (no broker needed)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from scheduler.errors import ConfigError
from scheduler.executors import create_executor
from scheduler.executors.celery import CeleryExecutor
from scheduler.settings import Settings

from .celery_support import BATON


def _settings(tmp_path: Path, **env: str) -> Settings:
    return Settings.from_env({"BATON_HOME": str(tmp_path), "BATON_EXECUTOR": "celery", **env})


def test_celery_is_built_from_the_settings_and_its_secrets_are_masked(tmp_path: Path) -> None:
    settings = _settings(
        tmp_path,
        BATON_CELERY_BROKER_URL="amqp://baton:br0ker@rabbit:5672//",
        BATON_CELERY_RESULT_BACKEND="redis://:r3sult@redis:6379/1",
        BATON_PARALLELISM="7",
    )
    executor = create_executor(settings)
    assert isinstance(executor, CeleryExecutor)
    assert executor.parallelism == 7
    assert executor.free_slots == 0  # not started
    shown = settings.as_dict()
    assert shown["celery_broker_url"] == "amqp://baton:***@rabbit:5672//"
    assert shown["celery_result_backend"] == "redis://:***@redis:6379/1"


@pytest.mark.parametrize(
    ("broker", "message"),
    [
        ("", "the Celery executor needs a broker: set BATON_CELERY_BROKER_URL"),
        ("sqs://queue", "BATON_CELERY_BROKER_URL=sqs://... is not a broker Baton supports"),
    ],
)
def test_starting_without_a_usable_broker_says_what_to_set(
    tmp_path: Path, broker: str, message: str
) -> None:
    executor = CeleryExecutor(_settings(tmp_path, BATON_CELERY_BROKER_URL=broker))
    with pytest.raises(ConfigError, match=message):
        executor.start()


def test_the_worker_command_refuses_to_start_without_a_broker(tmp_path: Path) -> None:
    env = {"BATON_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    subprocess.run([BATON, "db", "migrate"], env=env, check=True, capture_output=True)
    result = subprocess.run(
        [BATON, "celery", "worker"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert "Error: the Celery executor needs a broker: set BATON_CELERY_BROKER_URL" in (
        result.stderr
    )
