"""Comfort in a real browser (issue 11 item 7): dark mode (the toggle, kept in localStorage,
and prefers-color-scheme), the timezone switch, the 390 px layout, sortable tables and the
REST API docs page (Swagger UI 5 from the swagger-ui-py package)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import ADMIN, PASSWORD, LiveBaton, screenshot

TZ_DAG = """
from datetime import datetime
from zoneinfo import ZoneInfo
from scheduler import DAG, EmptyOperator

with DAG(dag_id="tz_new_york", schedule=None,
         start_date=datetime(2026, 1, 1, tzinfo=ZoneInfo("America/New_York"))):
    EmptyOperator(task_id="only")
"""

STATES = [
    "success", "failed", "running", "queued", "scheduled", "up_for_retry", "upstream_failed",
    "skipped", "deferred", "up_for_reschedule", "removed", "none", "compensating",
    "compensated", "compensation_failed",
]  # fmt: skip

# Contrast of each badge's text on its hue, and of the hue on the panel behind it (WCAG).
CONTRAST_JS = """(states) => {
  const rgb = (s) => s.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const lum = (c) => {
    const [r, g, b] = c.map((v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const ratio = (a, b) => {
    const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
    return (x + 0.05) / (y + 0.05);
  };
  const panel = document.createElement("div");
  panel.className = "panel";
  document.querySelector("main").append(panel);
  const out = {};
  for (const s of states) {
    const badge = document.createElement("span");
    badge.className = `state s-${s}`;
    badge.textContent = s;
    panel.append(badge);
    const style = getComputedStyle(badge);
    out[s] = {
      text: ratio(rgb(style.color), rgb(style.backgroundColor)),
      panel: ratio(rgb(style.backgroundColor), rgb(getComputedStyle(panel).backgroundColor)),
    };
  }
  panel.remove();
  return out;
}"""


@pytest.fixture(scope="module")
def tz_run(live: LiveBaton) -> str:
    live.baton.write_dag("tz_new_york.py", TZ_DAG)
    live.baton.wait_for_dag("tz_new_york", timeout=90)
    run_id = live.baton.trigger("tz_new_york")
    live.baton.wait_for_run("tz_new_york", run_id, timeout=120)
    return run_id


@pytest.fixture
def tokyo_page(browser: Browser, live: LiveBaton) -> Iterator[Page]:
    """A logged-in admin in a browser whose own zone is Asia/Tokyo (UTC+9, no DST)."""
    context = browser.new_context(viewport={"width": 1360, "height": 900}, timezone_id="Asia/Tokyo")
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    tab.goto(f"{live.url}/auth/login")
    tab.fill("#username", ADMIN)
    tab.fill("#password", PASSWORD)
    tab.click("button[type=submit]")
    tab.wait_for_selector("#dag-table")
    try:
        yield tab
    finally:
        context.close()


def _theme(page: Page) -> str:
    return page.evaluate(
        "() => getComputedStyle(document.body).backgroundColor + '|'"
        " + (document.documentElement.dataset.theme || '')"
    )


def test_dark_mode_follows_the_system_and_the_toggle_is_kept(page: Page, live: LiveBaton) -> None:
    page.emulate_media(color_scheme="light")
    page.goto(f"{live.url}/dags")
    assert _theme(page) == "rgb(245, 247, 250)|"
    page.emulate_media(color_scheme="dark")
    assert _theme(page) == "rgb(15, 20, 26)|", "prefers-color-scheme: dark is followed"
    screenshot(page, "comfort_dark_system_dags")

    # The toggle: the system says dark, the user picks light; it survives a reload.
    toggle = page.locator("[data-testid=theme-toggle]")
    expect(toggle).to_have_attribute("aria-pressed", "true")
    toggle.click()
    assert _theme(page) == "rgb(245, 247, 250)|light"
    assert page.evaluate("localStorage.getItem('baton.theme')") == "light"
    page.reload()
    assert _theme(page) == "rgb(245, 247, 250)|light"
    # Back to dark, which is the system's: the stored choice goes, the system is followed.
    page.locator("[data-testid=theme-toggle]").click()
    assert page.evaluate("localStorage.getItem('baton.theme')") is None
    page.emulate_media(color_scheme="light")
    assert _theme(page) == "rgb(245, 247, 250)|"
    page.locator("[data-testid=theme-toggle]").click()
    assert _theme(page) == "rgb(15, 20, 26)|dark"
    page.reload()
    assert _theme(page) == "rgb(15, 20, 26)|dark", "dark chosen on a light system is kept"
    screenshot(page, "comfort_dark_toggle_dags")


def test_state_colours_read_in_both_themes(page: Page, live: LiveBaton, tz_run: str) -> None:
    for theme in ("light", "dark"):
        page.goto(f"{live.url}/dags")
        page.evaluate(f"localStorage.setItem('baton.theme', '{theme}')")
        page.goto(f"{live.url}/dags/tz_new_york/runs/{quote(tz_run, safe='')}")
        ratios = page.evaluate(CONTRAST_JS, STATES)
        low_text = {s: round(r["text"], 2) for s, r in ratios.items() if r["text"] < 4.5}
        assert low_text == {}, f"{theme}: badge text under 4.5:1"
        if theme == "dark":  # Airflow's hues; on the dark panel each must stand out (3:1)
            # ("none" is an outlined badge: its border, not its fill, marks it)
            low = {
                s: round(r["panel"], 2) for s, r in ratios.items() if r["panel"] < 3 and s != "none"
            }
            assert low == {}, "dark: state hues under 3:1 on the panel"
        screenshot(page, f"comfort_run_page_{theme}")
    page.evaluate("localStorage.removeItem('baton.theme')")


def test_the_timezone_switch_rewrites_every_date(
    tokyo_page: Page, live: LiveBaton, tz_run: str
) -> None:
    page = tokyo_page
    page.goto(f"{live.url}/dags/tz_new_york/runs/{quote(tz_run, safe='')}")
    first = page.locator("main time[datetime]").first
    iso = first.get_attribute("datetime")
    assert iso is not None and iso.endswith("Z")
    utc_text = iso[:10] + " " + iso[11:19]
    expect(first).to_have_text(utc_text)
    expect(page.locator("footer [data-tz-label]")).to_have_text("UTC")

    page.click("[data-testid=user-menu] summary")  # the switch is in the user menu
    select = page.locator("[data-testid=tz-select]")
    expect(select.locator("option")).to_have_text(
        ["UTC", "Browser (Asia/Tokyo)", "DAG (America/New_York)"]
    )
    select.select_option("browser")
    tokyo = page.evaluate(
        "(iso) => new Date(new Date(iso).getTime() + 9 * 3600e3).toISOString()", iso
    )
    expect(first).to_have_text(tokyo[:10] + " " + tokyo[11:19])
    expect(page.locator("footer [data-tz-label]")).to_have_text("Asia/Tokyo")
    # Every date on the page moved, not just one.
    texts = page.locator("main time[datetime]").all_inner_texts()
    isos = page.locator("main time[datetime]").evaluate_all(
        "els => els.map(e => e.getAttribute('datetime'))"
    )
    assert len(texts) >= 2
    assert all(t != i[:10] + " " + i[11:19] for t, i in zip(texts, isos, strict=True))

    select.select_option("dag")
    offset = page.evaluate(
        """(iso) => new Intl.DateTimeFormat('en-US', {timeZone: 'America/New_York',
             timeZoneName: 'shortOffset'}).formatToParts(new Date(iso))
             .find(p => p.type === 'timeZoneName').value""",
        iso,
    )  # GMT-5 in winter, GMT-4 in summer
    hours = int(re.fullmatch(r"GMT([-+]\d+)", offset).group(1))  # type: ignore[union-attr]
    ny = page.evaluate(
        "([iso, h]) => new Date(new Date(iso).getTime() + h * 3600e3).toISOString()",
        [iso, hours],
    )
    expect(first).to_have_text(ny[:10] + " " + ny[11:19])
    screenshot(page, "comfort_run_page_dag_zone")

    # Kept: a reload shows the DAG's zone; a page without a DAG falls back to UTC but
    # keeps the choice for the next DAG page.
    page.reload()
    expect(page.locator("main time[datetime]").first).to_have_text(ny[:10] + " " + ny[11:19])
    page.goto(f"{live.url}/runs")
    expect(page.locator("[data-testid=tz-select]")).to_have_value("utc")
    expect(page.locator("footer [data-tz-label]")).to_have_text("UTC")
    assert page.evaluate("localStorage.getItem('baton.tz')") == "dag"


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_390px_pages_do_not_scroll_sideways(
    page: Page, live: LiveBaton, tz_run: str, theme: str
) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    page.emulate_media(color_scheme=theme)  # type: ignore[arg-type]
    run = quote(tz_run, safe="")
    pages = {
        "dags": "/dags",
        "dag_grid": "/dags/example_orders/grid",
        "dag_details": "/dags/tz_new_york/details",
        "run": f"/dags/tz_new_york/runs/{run}",
        "runs": "/runs",
        "api_docs": "/api/v1/docs/",
    }
    wide = {}
    for name, path in pages.items():
        page.goto(f"{live.url}{path}")
        page.wait_for_load_state("networkidle")
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 390:
            wide[name] = width
        screenshot(page, f"comfort_390_{name}_{theme}")
    assert wide == {}, "pages wider than the 390 px screen"
    # The DAG table scrolls inside itself instead.
    page.goto(f"{live.url}/dags")
    table = page.locator("#dag-table")
    assert table.evaluate("t => getComputedStyle(t).overflowX") == "auto"


def test_the_topbar_fits_a_1360px_screen(page: Page, live: LiveBaton, tz_run: str) -> None:
    # The theme toggle joined the topbar: the nav must still fit without widening the page.
    for path in ("/dags", f"/dags/tz_new_york/runs/{quote(tz_run, safe='')}"):
        page.goto(f"{live.url}{path}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 1360, path
    screenshot(page, "comfort_run_page_1360")


def test_sorting_a_table_by_clicking_its_header(page: Page, live: LiveBaton, tz_run: str) -> None:
    page.goto(f"{live.url}/dags")
    names = page.locator("#dag-table tbody tr a.dagid")
    server_order = names.all_inner_texts()
    assert len(server_order) >= 3
    header = page.locator("#dag-table thead th", has_text="DAG")
    header.click()
    expect(header).to_have_attribute("aria-sort", "ascending")
    ascending = names.all_inner_texts()
    assert ascending == sorted(server_order, key=str.lower)
    header.click()
    expect(header).to_have_attribute("aria-sort", "descending")
    assert names.all_inner_texts() == ascending[::-1]
    screenshot(page, "comfort_sorted_dags")

    # Keys: dates by their instant, durations by seconds, numbers as numbers.
    keys = page.evaluate(
        """() => ['850 ms', '12.3 s', '4m 05s', '2h 03m', '75% 3/4', '1,204', 'abc'].map((t) => {
             const td = document.createElement('td'); td.textContent = t;
             return window.batonSort.keyOf(td); })"""
    )
    assert keys == [0.85, 12.3, 245, 7380, 75, 1204, "abc"]

    # A date column sorts by time, newest first on the second click.
    page.goto(f"{live.url}/runs")
    rows = page.locator("table.list tbody tr")
    assert rows.count() >= 1
    started = page.locator("table.list thead th", has_text=re.compile(r"^Start"))
    if started.count():
        started.first.click()
        started.first.click()
        expect(started.first).to_have_attribute("aria-sort", "descending")


def test_rest_api_docs_render_the_openapi_document(page: Page, live: LiveBaton) -> None:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{live.url}/api/v1/docs/")
    expect(page.locator("#swagger-ui .info .title")).to_contain_text("Baton REST API")
    expect(page.locator("#swagger-ui .opblock").first).to_be_visible()
    assert page.locator("#swagger-ui .opblock").count() > 20
    screenshot(page, "comfort_api_docs")
    assert errors == [], errors
