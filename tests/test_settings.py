"""Settings: environment over baton.toml over defaults; bad values named with the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from scheduler.errors import ConfigError
from scheduler.settings import Settings


def test_environment_wins_over_the_toml_file(tmp_path: Path) -> None:
    (tmp_path / "baton.toml").write_text("parallelism = 3\nlog_level = 'DEBUG'\n")
    settings = Settings.from_env({"BATON_HOME": str(tmp_path), "BATON_PARALLELISM": "5"})
    assert settings.parallelism == 5
    assert settings.log_level == "DEBUG"
    assert settings.database_url == f"sqlite:///{tmp_path / 'baton.db'}"


def test_secrets_are_masked_in_the_effective_configuration(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {
            "BATON_HOME": str(tmp_path),
            "BATON_DATABASE_URL": "postgresql+psycopg://baton:s3cret@db:5432/baton",
        }
    )
    shown = settings.as_dict()
    assert shown["database_url"] == "postgresql+psycopg://baton:***@db:5432/baton"
    assert "s3cret" not in str(shown)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"BATON_PARALLELISM": "many"}, "BATON_PARALLELISM='many' is not a valid int"),
        ({"BATON_PARALLELISM": "0"}, "at least 1"),
        ({"BATON_EXECUTOR": "kubernetes"}, "use 'local', 'celery' or 'inline'"),
        ({"BATON_DAGS_ARE_PAUSED_AT_CREATION": "maybe"}, "valid bool"),
    ],
)
def test_bad_values_name_the_variable(tmp_path: Path, env: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.from_env({"BATON_HOME": str(tmp_path), **env})


def test_unknown_toml_keys_are_refused(tmp_path: Path) -> None:
    (tmp_path / "baton.toml").write_text("[baton]\nparalelism = 3\n")
    with pytest.raises(ConfigError, match=r"unknown setting.*paralelism"):
        Settings.from_env({"BATON_HOME": str(tmp_path)})
