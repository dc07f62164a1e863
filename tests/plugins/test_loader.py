"""``load_plugins``: what loads, what fails (with its error), and that failures stay contained."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scheduler.plugins import (
    MenuLink,
    forget_plugins,
    load_plugins,
    plugins_folder,
    process_plugins,
)
from scheduler.settings import Settings

from .conftest import PluginFolder

GOOD = """
    from scheduler import BaseHook, BaseOperator, BatonPlugin, MenuLink

    class PingHook(BaseHook):
        conn_type = "ping"
        def test_connection(self):
            return True, "pong"

    class PingOperator(BaseOperator):
        def execute(self, context):
            return "pong"

    def twice(x):
        return x * 2

    plugin = BatonPlugin(
        name="ping", operators=[PingOperator], hooks=[PingHook],
        connection_types={"ping": PingHook}, macros=[twice],
        menu_links=[MenuLink("Ping", "https://ping.example.com"), {"name": "Docs", "href": "/d"}],
    )
"""


def names(report) -> list[str]:
    return [p.name for p in report.plugins]


def test_a_module_plugin_declares_everything_it_registers(folder: PluginFolder) -> None:
    folder.write("ping.py", GOOD)
    report = load_plugins(folder.settings, entry_points=False)
    assert report.failures == ()
    (plugin,) = report.plugins
    assert plugin.name == "ping" and plugin.source == f"folder:{folder.path / 'ping.py'}"
    assert [c.__name__ for c in plugin.operators] == ["PingOperator"]
    assert report.hook_for_conn_type("ping").__name__ == "PingHook"
    assert report.hook_for_conn_type("nope") is None
    assert report.macros()["ping"]["twice"](4) == 8
    assert report.menu_links() == [
        MenuLink("Ping", "https://ping.example.com"),
        MenuLink("Docs", "/d"),
    ]
    summary = json.loads(json.dumps(report.to_dict()))
    assert summary["plugins"][0]["connection_types"] == {"ping": "ping.PingHook"}


def test_packages_and_airflow_style_subclasses_helpers_are_skipped(folder: PluginFolder) -> None:
    folder.write("pkg_plugin/__init__.py", "from pkg_plugin.decl import PkgPlugin\n")
    folder.write(
        "pkg_plugin/decl.py",
        """
        from scheduler import BatonPlugin
        class PkgPlugin(BatonPlugin):
            name = "pkg"
            macros = {"hello": lambda: "hi"}
        """,
    )
    folder.write("helpers.py", "VALUE = 1\n")
    folder.write("_private.py", "raise RuntimeError('never imported')\n")
    report = load_plugins(folder.settings, entry_points=False)
    assert names(report) == ["pkg"] and report.failures == ()
    assert report.macros() == {"pkg": {"hello": report.plugins[0].macros["hello"]}}


@pytest.mark.parametrize(
    ("source", "error"),
    [
        (
            "import no_such_module_xyz\n",
            "ModuleNotFoundError: No module named 'no_such_module_xyz'",
        ),
        ("def broken(:\n", "SyntaxError"),
        ("raise SystemExit(3)\n", "SystemExit: 3"),
        ("1 / 0\n", "ZeroDivisionError: division by zero (at "),
        (
            "from scheduler import BatonPlugin\nplugin = BatonPlugin(name='b', operators=[int])\n",
            "is not a subclass of BaseOperator",
        ),
        (
            "from scheduler import BatonPlugin\nplugin = BatonPlugin(name='has space')\n",
            "give it a name that is a Python identifier",
        ),
        (
            "from scheduler import BatonPlugin\nplugin = BatonPlugin(name='x', menu_links=['a'])\n",
            "needs a name and an href",
        ),
        (
            "from scheduler import BatonPlugin\nplugin = BatonPlugin(name='x', opertors=[])\n",
            "unknown argument(s) opertors",
        ),
    ],
    ids=[
        "missing-import",
        "syntax",
        "sys-exit",
        "crash",
        "not-operator",
        "bad-name",
        "bad-link",
        "typo",
    ],
)
def test_a_broken_plugin_is_reported_and_the_others_still_load(
    folder: PluginFolder, source: str, error: str
) -> None:
    folder.write("a_broken.py", source)
    folder.write("ping.py", GOOD)
    report = load_plugins(folder.settings, entry_points=False)
    assert names(report) == ["ping"]
    (failure,) = report.failures
    assert failure.source == f"folder:{folder.path / 'a_broken.py'}"
    assert error in failure.error


def test_two_plugins_with_one_name_the_second_is_a_failure(folder: PluginFolder) -> None:
    folder.write("ping.py", GOOD)
    folder.write(
        "zz_ping_again.py", "from scheduler import BatonPlugin\nplugin = BatonPlugin(name='ping')\n"
    )
    report = load_plugins(folder.settings, entry_points=False)
    assert names(report) == ["ping"]
    assert "already loaded from folder:" in report.failures[0].error


def test_a_missing_folder_is_no_plugins(folder: PluginFolder, tmp_path: Path) -> None:
    settings = Settings(
        home=tmp_path,
        dags_folder=tmp_path,
        database_url="sqlite://",
        plugins_folder=str(tmp_path / "absent"),
    )
    assert load_plugins(settings, entry_points=False).plugins == ()


def test_entry_points_of_installed_distributions(
    folder: PluginFolder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    info = site / "acme_baton-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-baton\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        "[baton.plugins]\nacme = acme_plugin:AcmePlugin\nacme_gone = acme_missing:plugin\n"
    )
    (site / "acme_plugin.py").write_text(
        "from scheduler import BatonPlugin\nclass AcmePlugin(BatonPlugin):\n    name = 'acme'\n"
    )
    monkeypatch.syspath_prepend(str(site))
    report = load_plugins(folder.settings)
    assert "acme" in names(report)
    acme = next(p for p in report.plugins if p.name == "acme")
    assert acme.source == "entry point:acme-baton acme = acme_plugin:AcmePlugin"
    gone = next(f for f in report.failures if f.name == "acme_gone")
    assert "No module named 'acme_missing'" in gone.error


def test_the_builtin_folder_and_its_entry_point_are_one_plugin(tmp_path: Path) -> None:
    builtin = Path(__file__).resolve().parents[2] / "plugins"
    settings = Settings(
        home=tmp_path, dags_folder=tmp_path, database_url="sqlite://", plugins_folder=str(builtin)
    )
    report = load_plugins(settings)
    assert names(report).count("example_greeter") == 1
    greeter = next(p for p in report.plugins if p.name == "example_greeter")
    assert greeter.source.startswith("folder:")  # imported as plugins.example_greeter
    assert greeter.operators[0].__module__ == "plugins.example_greeter.operators"


def test_the_default_folder_is_plugins_in_the_cwd_else_under_baton_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(home=tmp_path / "home", dags_folder=tmp_path, database_url="sqlite://")
    monkeypatch.chdir(tmp_path)
    assert plugins_folder(settings) == tmp_path / "home" / "plugins"
    (tmp_path / "plugins").mkdir()
    assert plugins_folder(settings) == tmp_path / "plugins"
    explicit = Settings(**{**settings.__dict__, "plugins_folder": str(tmp_path / "x")})
    assert plugins_folder(explicit) == tmp_path / "x"


def test_a_process_loads_its_plugins_once(
    folder: PluginFolder, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder.write("ping.py", GOOD)
    monkeypatch.setenv("BATON_PLUGINS_FOLDER", str(folder.path))
    first = process_plugins()
    folder.write(
        "later.py", "from scheduler import BatonPlugin\nplugin = BatonPlugin(name='later')\n"
    )
    assert process_plugins() is first and "later" not in names(first)
    forget_plugins()
    assert "later" in names(process_plugins())
