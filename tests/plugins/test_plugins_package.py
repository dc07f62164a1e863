"""``plugins`` is Baton's bundled providers wherever a process starts, and they are
registered whatever the plugins folder is."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from scheduler.errors import BatonError
from scheduler.plugins import check_connection, load_plugins
from scheduler.plugins_package import BUNDLED
from scheduler.settings import Settings

from .conftest import PluginFolder

PROBE = """
import json, sys
import scheduler, plugins, plugins.http, plugins.sql
print(json.dumps({"file": plugins.__file__, "http": plugins.http.HttpOperator.__module__,
                  "cwd_first": sys.path[0] in ("", ".")}))
"""


@pytest.mark.parametrize("package", [False, True], ids=["namespace-dir", "package-dir"])
def test_a_plugins_dir_in_the_current_directory_does_not_shadow_the_providers(
    tmp_path: Path, package: bool
) -> None:
    user = tmp_path / "plugins"
    (user / "http").mkdir(parents=True)  # even a plugins/http of its own
    (user / "http" / "__init__.py").write_text("raise RuntimeError('the user plugins/http')\n")
    (user / "mine.py").write_text("VALUE = 1\n")
    if package:
        (user / "__init__.py").write_text("raise RuntimeError('the user plugins package')\n")
    # ``python -c`` puts the current directory first on sys.path, as gunicorn does.
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert seen == {
        "file": str(BUNDLED / "__init__.py"),
        "http": "plugins.http.operators",
        "cwd_first": True,
    }


def test_the_bundled_providers_load_beside_a_custom_folder(folder: PluginFolder) -> None:
    folder.write("mine.py", "from scheduler import BatonPlugin\nplugin = BatonPlugin(name='me')\n")
    report = load_plugins(folder.settings)
    names = {p.name: p.source for p in report.plugins}
    assert names["me"] == f"folder:{folder.path / 'mine.py'}"
    for provider in ("http", "sql", "example_greeter"):
        assert names[provider].startswith(f"entry point:baton {provider} = plugins."), names
    assert report.hook_for_conn_type("http").__module__ == "plugins.http.hook"
    assert report.hook_for_conn_type("postgres").__module__ == "plugins.sql.hook"


def test_connections_test_finds_the_http_hook_with_a_custom_folder(
    folder: PluginFolder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BATON_CONN_NOWHERE", "http://127.0.0.1:9")  # nothing listens: refused
    settings = Settings(**{**folder.settings.__dict__, "database_url": "sqlite://"})
    result = check_connection(settings, load_plugins(settings), "nowhere")
    assert "no plugin registers a hook" not in result.message
    assert result.hook == "plugins.http.hook.HttpHook"
    assert not result.ok and "Connection refused" in result.message


def test_connections_test_calls_test_connection_and_refuses_a_hook_without_it(
    folder: PluginFolder, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder.write(
        "echo.py",
        """
        from scheduler import BaseHook, BatonPlugin

        class EchoHook(BaseHook):
            conn_name_attr = "echo_conn_id"
            def __init__(self, echo_conn_id):
                super().__init__()
                self.conn_id = echo_conn_id
            def test_connection(self):
                return True, f"hello from {self.conn_id}"

        class MuteHook(BaseHook):
            pass

        plugin = BatonPlugin(name="echo", connection_types={"echo": EchoHook, "mute": MuteHook})
        """,
    )
    monkeypatch.setenv("BATON_CONN_LOUD", "echo://host")
    monkeypatch.setenv("BATON_CONN_QUIET", "mute://host")
    report = load_plugins(folder.settings, entry_points=False)
    result = check_connection(folder.settings, report, "loud")
    assert result.ok and result.message == "hello from loud"
    with pytest.raises(BatonError, match=r"its hook echo\.MuteHook has no test_connection"):
        check_connection(folder.settings, report, "quiet")
