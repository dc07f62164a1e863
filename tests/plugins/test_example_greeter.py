"""The example plugin, unit by unit: hook over a connection, operator, macro, and all three
through the real runner (templates with ``macros.example_greeter.*``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from plugins.example_greeter import GreeterHook, GreetOperator, plugin, shout
from scheduler.errors import ConnectionNotFoundError
from scheduler.masking import clear_secrets, redact
from scheduler.plugins import forget_plugins
from tests.connections.support import use_home
from tests.runner.support import DagFolder, xcom

URI = "greeter://ann:api-key-123@/?greeting=Howdy&punctuation=%21%21"


@pytest.fixture
def greeter_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    use_home(monkeypatch, tmp_path / "home", BATON_CONN_GREETER_DEFAULT=URI)
    yield
    forget_plugins()
    clear_secrets()


def test_the_hook_builds_its_client_from_the_connection(greeter_env: None) -> None:
    hook = GreeterHook()
    assert hook.greet("Bo") == "Howdy, Bo!! (from ann)"
    assert hook.get_conn() is hook.get_conn()  # one client per hook
    assert redact("key api-key-123") == "key ***"  # the password was masked when read
    assert hook.test_connection() == (
        True,
        "connection 'greeter_default' works: Howdy, world!! (from ann)",
    )


def test_the_hook_defaults_and_a_missing_connection(
    greeter_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BATON_CONN_PLAIN", "greeter://")
    assert GreeterHook("plain").greet("Bo") == "Hello, Bo!"
    with pytest.raises(ConnectionNotFoundError, match="'nope'"):
        GreeterHook("nope").greet("Bo")


def test_the_operator_returns_the_greeting(greeter_env: None) -> None:
    operator = GreetOperator(task_id="greet", name="Cy")
    assert operator.execute({}) == "Howdy, Cy!! (from ann)"


def test_the_macro_and_the_declaration() -> None:
    assert shout("hi") == "HI!"
    assert plugin.name == "example_greeter"
    assert plugin.connection_types == {"greeter": GreeterHook}


def test_operator_hook_and_macro_together_in_a_real_try(greeter_env: None, tmp_path: Path) -> None:
    dags = DagFolder(tmp_path)
    dags.write(
        """
        from scheduler import DAG
        from plugins.example_greeter import GreetOperator

        with DAG("demo", params={"who": "world"}):
            GreetOperator(task_id="greet", name="{{ macros.example_greeter.shout(params.who) }}")
            GreetOperator(task_id="typo", name="{{ macros.example_greeter.whisper('x') }}")
            GreetOperator(task_id="no_plugin", name="{{ macros.nope.x() }}")
        """
    )
    finished, log = dags.run("greet")
    assert finished.state == "success", log
    assert xcom(finished) == "Howdy, WORLD!!! (from ann)"
    assert "Howdy, WORLD!!! (from ann)\n" in log
    typo, _ = dags.run("typo")
    assert typo.state == "failed" and "whisper" in typo.error
    missing, log = dags.run("no_plugin")
    assert missing.state == "failed"
    assert "macros.nope is neither a built-in macro nor a plugin's macros" in log
