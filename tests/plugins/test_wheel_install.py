"""Installed as a user installs it: the built wheel in a fresh venv (its dependencies resolved
by uv, nothing of this checkout on the path), run from a folder of the user's own that has a
``plugins/`` folder of its own. The bundled providers load through the wheel's
``baton.plugins`` entry points, and the user's folder neither shadows nor breaks them."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UV = str(Path(sys.executable).with_name("uv"))
BUNDLED = {"http", "sql", "example_greeter"}
# Raises if anything imports the user's folder as the package ``plugins``.
USER_INIT = 'raise RuntimeError("the user\'s plugins/__init__.py was imported as `plugins`")\n'
USER_PLUGIN = "from scheduler import BatonPlugin\nplugin = BatonPlugin(name='mine', macros=[len])\n"


def _run(command: list[str], cwd: Path, timeout: float = 300) -> str:
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{command}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the wheel built from this checkout; returns its bin folder."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"  # built from a copy: setuptools writes build/ beside the sources
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for package in ("scheduler", "webui", "plugins"):
        shutil.copytree(
            ROOT / package, source / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    _run([UV, "build", "--wheel", "--quiet", "--out-dir", str(work / "dist"), str(source)], work)
    (wheel,) = (work / "dist").glob("baton-*.whl")
    _run([UV, "venv", "--quiet", "--python", sys.executable, str(work / "venv")], work)
    python = work / "venv" / "bin" / "python"
    _run([UV, "pip", "install", "--quiet", "--python", str(python), str(wheel)], work)
    return python.parent


def _user_folder(root: Path) -> Path:
    folder = root / "project"
    (folder / "plugins").mkdir(parents=True)
    (folder / "plugins" / "__init__.py").write_text(USER_INIT)
    (folder / "plugins" / "mine.py").write_text(USER_PLUGIN)
    return folder


def test_the_wheel_s_providers_load_from_any_folder(installed: Path, tmp_path: Path) -> None:
    folder = _user_folder(tmp_path)
    env = {"PATH": "/usr/bin:/bin", "BATON_HOME": str(tmp_path / "home")}
    listed = subprocess.run(
        [str(installed / "baton"), "plugins", "list", "-o", "json"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert listed.returncode == 0, listed.stdout + listed.stderr
    report = json.loads(listed.stdout)
    assert report["folder"] == str(folder / "plugins")  # the default: ./plugins
    assert report["failures"] == []
    sources = {p["name"]: p["source"] for p in report["plugins"]}
    assert BUNDLED | {"mine"} <= set(sources)
    for name in BUNDLED:  # from the installed wheel's entry points, not from a folder
        assert sources[name].startswith("entry point:baton "), sources
    assert sources["mine"] == f"folder:{folder / 'plugins' / 'mine.py'}"
    http = next(p for p in report["plugins"] if p["name"] == "http")
    assert http["operators"] == ["plugins.http.operators.HttpOperator"]


def test_plugins_is_the_installed_providers_even_beside_a_user_plugins_folder(
    installed: Path, tmp_path: Path
) -> None:
    folder = _user_folder(tmp_path)
    probe = (
        "import importlib.metadata, scheduler, plugins.http, plugins.sql\n"
        "print(plugins.__file__)\n"
        "print(scheduler.__file__)\n"
        "print(importlib.metadata.distribution('baton').locate_file(''))\n"
    )
    # python -c puts the current folder, with its plugins/, first on sys.path
    out = _run([str(installed / "python"), "-c", probe], folder, timeout=120).split("\n")
    site_packages = Path(out[2]).resolve()
    assert Path(out[0]).resolve() == site_packages / "plugins" / "__init__.py"
    assert Path(out[1]).resolve() == site_packages / "scheduler" / "__init__.py"
    assert ROOT not in site_packages.parents  # the wheel's copy, not this checkout
