"""``baton plugins list``: loaded plugins and failures with their error; exit status 0."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from .conftest import PluginFolder

BATON = str(Path(sys.executable).with_name("baton"))


def test_plugins_list_shows_loaded_and_failed_plugins(folder: PluginFolder, tmp_path: Path) -> None:
    folder.write("broken_one.py", "import no_such_dependency_abc\n")
    folder.write(
        "hello.py",
        "from scheduler import BatonPlugin\nplugin = BatonPlugin(name='hello', macros=[len])\n",
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "BATON_HOME": str(tmp_path / "home"),
        "BATON_PLUGINS_FOLDER": str(folder.path),
    }
    as_json = subprocess.run(
        [BATON, "plugins", "list", "-o", "json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    report = json.loads(as_json.stdout)
    assert report["folder"] == str(folder.path)
    assert {"hello", "example_greeter"} <= {p["name"] for p in report["plugins"]}
    (failure,) = [f for f in report["failures"] if f["name"] == "broken_one"]
    assert "No module named 'no_such_dependency_abc'" in failure["error"]
    table = subprocess.run(
        [BATON, "plugins", "list"], env=env, capture_output=True, text=True, timeout=120, check=True
    ).stdout
    assert "broken_one" in table and "failed" in table and "1 macros" in table
