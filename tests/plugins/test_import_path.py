"""put_plugins_on_path: the user's plugins folder is appended once; the bundled providers'
folder and a missing folder change nothing."""

from __future__ import annotations

import sys
from pathlib import Path

from scheduler.plugins.import_path import put_plugins_on_path
from scheduler.plugins_package import BUNDLED
from scheduler.settings import Settings
from tests.plugins.conftest import PluginFolder


def test_the_folder_is_appended_once(folder: PluginFolder) -> None:
    folder.write("legacy_codes.py", "VALUE = 7\n")
    assert put_plugins_on_path(folder.settings) == folder.path
    assert put_plugins_on_path(folder.settings) == folder.path
    assert sys.path.count(str(folder.path)) == 1
    assert sys.path[-1] == str(folder.path)  # never ahead of the standard library
    import legacy_codes

    assert legacy_codes.VALUE == 7


def test_bundled_and_missing_folders_are_left_alone(folder: PluginFolder, tmp_path: Path) -> None:
    before = list(sys.path)
    bundled = Settings(
        home=tmp_path, dags_folder=tmp_path, plugins_folder=str(BUNDLED), database_url="sqlite://"
    )
    missing = Settings(
        home=tmp_path,
        dags_folder=tmp_path,
        plugins_folder=str(tmp_path / "nope"),
        database_url="sqlite://",
    )
    assert put_plugins_on_path(bundled) is None
    assert put_plugins_on_path(missing) is None
    assert sys.path == before
