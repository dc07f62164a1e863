"""The trigger form of a DAG with typed params in a real browser: typed inputs drawn from
the schema, a value breaking a rule refused with the server's message (what was typed kept),
valid values turned into a typed conf."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from scheduler import api
from tests.browser.conftest import (
    ADMIN,
    BATON,
    PASSWORD,
    LiveBaton,
    _wait_healthy,
    free_port,
    screenshot,
)
from tests.e2e.harness import Baton

TYPED_DAG = """
from datetime import datetime, timezone
from scheduler import DAG, Param, PythonOperator

with DAG(
    "typed_form",
    schedule=None,
    start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
    params={
        "n": Param(2, type="integer", minimum=1, maximum=10, title="How many",
                   description="between 1 and 10"),
        "batch": Param(5, type="integer", multipleOf=5, description="a multiple of 5"),
        "flag": Param(False, type="boolean", title="Really?"),
        "mode": Param("fast", enum=["fast", "safe"], values_display={"safe": "Safe mode"}),
        "day": Param("2026-01-31", type="string", format="date"),
        "at": Param("2026-01-31T06:00:00+00:00", type="string", format="date-time"),
        "clock": Param("12:13:14", type="string", format="time"),
        "cfg": Param({"retries": 1}, type="object", section="Advanced"),
        "name": Param(type="string", minLength=1, description="required"),
    },
) as dag:
    PythonOperator(task_id="noop", python_callable=lambda: None)
"""


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveBaton]:
    """Overrides the conftest's ``live`` for this module: a standalone with the typed DAG."""
    baton = Baton(tmp_path_factory.mktemp("typed_form"))
    baton.write_dag("typed_form.py", TYPED_DAG)
    env = {**baton.env, "BATON_TEST_PASSWORD": PASSWORD}
    create = ["users", "create", "--username", ADMIN, "--role", "Admin"]
    subprocess.run(
        [BATON, *create, "--password-from-env", "BATON_TEST_PASSWORD"],
        env=env,
        check=True,
        capture_output=True,
    )
    url = f"http://127.0.0.1:{free_port()}"
    log = baton.root / "standalone.log"
    with open(log, "ab") as out:
        process = subprocess.Popen(
            [BATON, "standalone", "--bind", url.removeprefix("http://"), "--workers", "1"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_healthy(url, process, log)
        baton.wait_for_dag("typed_form", timeout=90)
        yield LiveBaton(baton, url, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _field(page: Page, name: str):
    return page.locator(f"[data-testid=params-form] [name='param.{name}']")


def test_typed_inputs_refusal_and_a_typed_run(page: Page, live: LiveBaton) -> None:
    page.goto(f"{live.url}/dags/typed_form/trigger")
    form = page.locator("[data-testid=params-form]")
    expect(form.locator("label[for=param-n]")).to_contain_text("How many")
    expect(form).to_contain_text("between 1 and 10")
    n = _field(page, "n")
    assert (n.get_attribute("type"), n.get_attribute("min"), n.get_attribute("max")) == (
        "number",
        "1",
        "10",
    )
    assert _field(page, "flag").get_attribute("type") == "checkbox"
    expect(form.locator("label.check")).to_contain_text("Really?")
    assert _field(page, "mode").evaluate("e => e.tagName") == "SELECT"
    expect(_field(page, "mode").locator("option")).to_have_text(["fast", "Safe mode"])
    pickers = {name: _field(page, name).get_attribute("type") for name in ("day", "at", "clock")}
    assert pickers == {"day": "date", "at": "datetime-local", "clock": "time"}
    assert _field(page, "at").input_value() == "2026-01-31T06:00"  # chromium drops ":00"
    advanced = form.locator("[data-testid=param-section]")
    expect(advanced.locator("summary")).to_have_text("Advanced")
    expect(_field(page, "cfg")).to_be_hidden()  # other sections start collapsed (Airflow)
    advanced.locator("summary").click()
    assert _field(page, "cfg").evaluate("e => e.tagName") == "TEXTAREA"
    assert _field(page, "name").get_attribute("required") is not None
    screenshot(page, "typed_params_01_form")

    # A rule the browser does not know (multipleOf): the server refuses, nothing is created.
    _field(page, "name").fill("grace")
    _field(page, "batch").fill("7")
    form.locator("button[type=submit]").click()
    error = page.locator("[data-testid=form-error]")
    expect(error).to_have_text("batch: 7 is not a multiple of 5")
    field_error = page.locator("[data-param=batch] [data-testid=param-error]")
    expect(field_error).to_have_text("batch: 7 is not a multiple of 5")
    assert _field(page, "batch").input_value() == "7"  # what was typed is kept
    assert _field(page, "name").input_value() == "grace"
    assert api.list_runs(live.baton.settings, "typed_form") == []
    screenshot(page, "typed_params_02_refused")

    _field(page, "batch").fill("15")
    _field(page, "n").fill("4")
    _field(page, "flag").check()
    _field(page, "mode").select_option(label="Safe mode")
    _field(page, "day").fill("2026-02-01")
    _field(page, "at").fill("2026-02-01T08:15:30")
    _field(page, "clock").fill("07:45:10")
    _field(page, "cfg").fill('{"retries": 3}')
    form.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/dags/typed_form/graph\?run_id=manual"))
    (run,) = api.list_runs(live.baton.settings, "typed_form")
    assert run.conf == {
        "n": 4,
        "batch": 15,
        "flag": True,
        "mode": "safe",
        "day": "2026-02-01",
        "at": "2026-02-01T08:15:30+00:00",
        "clock": "07:45:10",
        "cfg": {"retries": 3},
        "name": "grace",
    }
