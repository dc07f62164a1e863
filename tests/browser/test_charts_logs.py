"""Charts, the calendar and the log tools in a real browser against a live ``baton
standalone`` (issue 11 items 5 and 7): the metrics and run-duration charts (uPlot from
webui/static/vendor) render the runs and show a value on hover, dark mode included; the
calendar's day links to that day's runs; the log's search, level filter, wrap toggle, jump
to the first error and download (masked by the server)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveBaton, screenshot

SECRET = "s3cr3t-token-for-download"

NOISY = f"""
import logging
from datetime import datetime, timezone
from scheduler import DAG, task
from scheduler.masking import mask_secret

with DAG("log_tools", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
         params={{"fail": True}}):
    @task
    def noisy(params=None):
        log = logging.getLogger("baton.task")
        mask_secret("{SECRET}")
        for i in range(120):
            print(f"routine output line {{i}}")
        log.warning("disk almost full")
        print("the token is {SECRET}")
        log.info("a needle in the haystack")
        if params["fail"]:
            log.error("first real error here")
            raise ValueError("noisy failed on purpose")

    noisy()
"""


@pytest.fixture(scope="module")
def runs(live: LiveBaton) -> dict[str, str]:
    """Two successful runs and a failed one of ``log_tools``, finished."""
    live.baton.write_dag("log_tools.py", NOISY)
    live.baton.wait_for_dag("log_tools", timeout=90)
    made = {
        "ok1": live.baton.trigger("log_tools", {"fail": False}),
        "ok2": live.baton.trigger("log_tools", {"fail": False}),
        "failed": live.baton.trigger("log_tools", {"fail": True}),
    }
    for run_id in made.values():
        live.baton.wait_for_run("log_tools", run_id, timeout=120)
    return made


def _hover(page: Page, chart: str) -> str:
    """Move over a chart's plot until its legend shows a series' value at the cursor (it
    snaps to the nearest x with data): that value's text."""
    plot = page.locator(f"[data-chart={chart}] .u-over")
    expect(plot).to_be_visible()
    box = plot.bounding_box()
    assert box is not None
    values = page.locator(f"[data-chart={chart}] .u-legend .u-series:not(:first-child) .u-value")
    for fraction in (0.5, 0.98, 0.75, 0.25, 0.02):
        page.mouse.move(box["x"] + box["width"] * fraction, box["y"] + box["height"] / 2)
        found = [text for text in values.all_inner_texts() if re.search(r"\d", text)]
        if found:
            return found[0]
    return ""


def _x_range(page: Page, chart: str) -> float:
    return page.locator(f"[data-chart={chart}]").evaluate(
        "el => el.uplot.scales.x.max - el.uplot.scales.x.min"
    )


def test_duration_chart_hover_zoom_and_click(
    page: Page, live: LiveBaton, runs: dict[str, str]
) -> None:
    page.goto(f"{live.url}/dags/log_tools/durations")
    expect(page.locator("[data-chart=durations][data-drawn=true] canvas")).to_be_visible()
    text = _hover(page, "durations")
    assert re.fullmatch(r"[\d.]+ s", text), text
    labels = page.locator("[data-chart=durations] .u-legend .u-label").all_inner_texts()
    assert labels == ["time", "success", "failed", "p95"]
    screenshot(page, "charts_durations")
    # Dragging across zooms the x scale in; a double-click zooms out again.
    whole = _x_range(page, "durations")
    box = page.locator("[data-chart=durations] .u-over").bounding_box()
    assert box is not None
    bottom = box["y"] + box["height"] - 4  # below the points: a click there opens nothing
    page.mouse.move(box["x"] + 5, bottom)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.5, bottom, steps=5)
    page.mouse.up()
    assert _x_range(page, "durations") < whole * 0.7
    page.mouse.dblclick(box["x"] + box["width"] / 2, bottom)
    assert _x_range(page, "durations") == pytest.approx(whole)
    # A click on a point opens its run.
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    x, y = page.locator("[data-chart=durations]").evaluate(
        """el => { const u = el.uplot, i = u.cursor.idx, r = u.over.getBoundingClientRect();
                   return [r.left + u.valToPos(u.data[0][i], 'x'),
                           r.top + u.valToPos(u.data[1][i], 'y')]; }"""
    )
    page.mouse.click(x, y)
    expect(page).to_have_url(re.compile(r"/dags/log_tools/runs/[^/]+$"))


def test_metrics_charts_render_and_hover_in_dark_mode(
    page: Page, live: LiveBaton, runs: dict[str, str]
) -> None:
    page.goto(f"{live.url}/metrics/dashboard?window=hour")
    for name in ("runs", "tries", "errors", "run_latency", "task_delay"):
        expect(page.locator(f"[data-chart={name}][data-drawn=true] canvas")).to_be_visible()
    assert re.fullmatch(r"[\d.]+ runs/h", _hover(page, "runs"))
    assert re.fullmatch(r"[\d.]+ %", _hover(page, "errors"))
    screenshot(page, "charts_metrics")
    axis_before = page.locator("[data-chart=runs] .u-legend").evaluate(
        "el => getComputedStyle(el).color"
    )
    page.click("#theme-toggle")
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    expect(page.locator("[data-chart=runs] canvas")).to_be_visible()
    axis_after = page.locator("[data-chart=runs] .u-legend").evaluate(
        "el => getComputedStyle(el).color"
    )
    assert axis_before != axis_after  # the legend follows the theme's ink
    assert re.fullmatch(r"[\d.]+ runs/h", _hover(page, "runs"))
    screenshot(page, "charts_metrics_dark")


def test_calendar_day_links_to_its_runs(page: Page, live: LiveBaton, runs: dict[str, str]) -> None:
    page.goto(f"{live.url}/dags/log_tools/calendar")
    day = page.locator(".calendar a.cal-day").first
    expect(day).to_have_attribute("data-outcome", "failed")  # one of today's runs failed
    assert "3 " in (day.get_attribute("title") or "") or "failed" in (
        day.get_attribute("title") or ""
    )
    screenshot(page, "calendar")
    # At 390 px the year scrolls inside its panel, the page not sideways; the same for charts.
    page.set_viewport_size({"width": 390, "height": 800})
    for path in ("calendar", "durations", "metrics"):
        page.goto(f"{live.url}/dags/log_tools/{path}")
        if path != "calendar":
            expect(page.locator("[data-drawn=true] canvas").first).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
    page.set_viewport_size({"width": 1360, "height": 900})
    page.goto(f"{live.url}/dags/log_tools/calendar")
    day = page.locator(".calendar a.cal-day").first
    day.click()
    expect(page).to_have_url(re.compile(r"/dags/log_tools/runs\?since=\d{4}-\d\d-\d\d&until="))
    for run_id in runs.values():
        expect(page.get_by_text(run_id)).to_be_visible()


def test_log_search_filter_wrap_jump_and_download(
    page: Page, live: LiveBaton, runs: dict[str, str]
) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live.url}/dags/log_tools/runs/{runs['failed']}/tasks/noisy/")
    log = page.locator("#log")
    expect(log.locator(".log-line").first).to_be_visible()
    total = log.locator(".log-line").count()
    assert total > 120
    # Search: only the matching lines, their match marked.
    page.fill("#log-search", "needle")
    expect(log.locator(".log-line:visible")).to_have_count(1)
    expect(log.locator("mark")).to_have_text("needle")
    expect(page.locator("#log-matches")).to_have_text(f"1 of {total} lines")
    page.fill("#log-search", "")
    expect(log.locator(".log-line:visible")).to_have_count(total)
    # Level filter: warnings and errors hide the routine output and the INFO lines.
    page.select_option("#log-level", "WARNING")
    visible = log.locator(".log-line:visible")
    expect(visible.first).to_contain_text("WARNING")
    shown = log.inner_text()
    assert "routine output" not in shown and "the token is" not in shown  # prints are INFO
    assert "Traceback (most recent call last)" in shown  # an ERROR record's own lines
    page.select_option("#log-level", "DEBUG")
    # Wrap toggle: off keeps long lines on one line (pre), kept across reloads.
    assert log.evaluate("el => getComputedStyle(el).whiteSpace") == "pre-wrap"
    page.uncheck("#log-wrap")
    assert log.evaluate("el => getComputedStyle(el).whiteSpace") == "pre"
    page.reload()
    expect(page.locator("#log-wrap")).not_to_be_checked()
    page.check("#log-wrap")
    # Jump to the first error, from the top, even past a filter that hides it.
    page.fill("#log-search", "routine")
    page.click("#log-jump")
    jumped = log.locator(".log-jumped")
    expect(jumped).to_contain_text("first real error here")
    expect(jumped).to_be_in_viewport()
    page.evaluate("window.scrollTo(0, 0)")  # the log stays scrolled to the error
    screenshot(page, "log_tools")
    # Download: the whole log, served by the server with the secret masked.
    with page.expect_download() as info:
        page.click("[data-testid=log-download]")
    download = info.value
    assert download.suggested_filename.endswith("_try1.log")
    text = download.path().read_text(encoding="utf-8")
    assert "first real error here" in text and "routine output line 119" in text
    assert SECRET not in text and "the token is ***" in text
    assert errors == []  # no script error on the page
