"""Helpers shared by the loader tests: write real files into a temporary DAG folder."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

WriteFile = Callable[[str, str], Path]


@pytest.fixture
def dags(tmp_path: Path) -> Path:
    folder = tmp_path / "dags"
    folder.mkdir()
    return folder


@pytest.fixture
def write(dags: Path) -> WriteFile:
    """``write("sub/x.py", source)``: create a file below the DAG folder, dedented."""

    def _write(relative: str, text: str) -> Path:
        path = dags / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())
        return path

    return _write
