"""The layering of DESIGN.md holds: `lint-imports` keeps every contract of pyproject.toml,
and a new import against the layers breaks one (proved on a copy of the tree)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
PACKAGES = ("scheduler", "webui", "plugins")


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    assert LINT_IMPORTS.exists(), (
        f"{LINT_IMPORTS} is missing: run `make .venv/bin/baton` (dev deps)"
    )
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo"],
        cwd=cwd,
        env={"PYTHONPATH": str(cwd), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_tree_keeps_every_contract() -> None:
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def _copy_tree(target: Path) -> None:
    shutil.copy(ROOT / "pyproject.toml", target / "pyproject.toml")
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package,
            target / package,
            ignore=shutil.ignore_patterns("__pycache__", "static", "templates"),
        )


LEAKS = {
    "a store module importing the engine": (
        "scheduler/store/leak.py",
        "from scheduler.engine.driver import RunDriver\n",
        "scheduler.store.leak -> scheduler.engine.driver",
    ),
    "the web UI importing the runner": (
        "webui/leak.py",
        "import scheduler.runner.run\n",
        "The web UI never imports the executors or the runner BROKEN",
    ),
    "a provider importing a private module": (
        "plugins/http/leak.py",
        "from scheduler.breakers.breaker import CircuitBreaker\n",
        "Providers import only the public API BROKEN",
    ),
    "authoring importing the store": (
        "scheduler/authoring/leak.py",
        "from scheduler.store import runs\n",
        "Authoring imports neither the Store nor anything that runs DAGs BROKEN",
    ),
}


@pytest.mark.parametrize("leak", LEAKS.values(), ids=LEAKS.keys())
def test_a_new_import_against_the_layers_breaks_a_contract(
    tmp_path: Path, leak: tuple[str, str, str]
) -> None:
    path, source, reported = leak
    _copy_tree(tmp_path)
    (tmp_path / path).write_text(source)
    result = _lint_imports(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert reported in result.stdout


def test_every_part_of_the_tree_has_a_layer() -> None:
    """A new module or package of ``scheduler`` must be placed in the layers, or nothing
    would hold its imports."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    (layers,) = [c for c in config["contracts"] if c["type"] == "layers"]
    placed = {name.strip() for layer in layers["layers"] for name in re.split(r"[|:]", layer)}
    parts = {
        f"scheduler.{path.stem if path.is_file() else path.name}"
        for path in (ROOT / "scheduler").iterdir()
        if (path.suffix == ".py" and path.stem != "__init__")
        or (path.is_dir() and (path / "__init__.py").exists())
    }
    missing = sorted(parts - placed)
    assert not missing, (
        f"{', '.join(missing)}: not in any layer of [tool.importlinter] in pyproject.toml; "
        "add each where it belongs (docs/architecture.md#layers)"
    )
