"""``lazy_exports``: a package's names imported on first access, then kept in it; other
names raise the package's own error."""

from __future__ import annotations

import sys
import types

import pytest

from scheduler.lazy_exports import lazy_exports


def _package(**kwargs) -> types.ModuleType:
    package = types.ModuleType("lazy_probe")
    package.__all__ = ["dumps"]
    namespace = vars(package)
    namespace["__getattr__"], namespace["__dir__"] = lazy_exports(
        namespace, {"dumps": "json"}, **kwargs
    )
    return package


def test_a_name_loads_on_first_access_and_stays() -> None:
    package = _package()
    assert "dumps" not in vars(package) and "dumps" in dir(package)
    import json

    assert package.dumps is json.dumps
    assert vars(package)["dumps"] is json.dumps  # later lookups skip __getattr__


def test_an_unknown_name_is_an_attribute_error_naming_the_package() -> None:
    with pytest.raises(AttributeError, match="module 'lazy_probe' has no attribute 'loads'"):
        _ = _package().loads


def test_a_package_may_raise_its_own_error() -> None:
    package = _package(missing=lambda name: ImportError(f"{name} is not in Baton yet"))
    with pytest.raises(ImportError, match="loads is not in Baton yet"):
        _ = package.loads


def test_the_real_packages_load_their_names_lazily() -> None:
    import scheduler.engine

    assert scheduler.engine.RunDriver.__module__ == "scheduler.engine.driver"
    assert "scheduler.engine.driver" in sys.modules
    assert "RunDriver" in dir(scheduler.engine)
