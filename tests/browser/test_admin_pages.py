"""The run page and the admin pages in a real browser against a live ``baton standalone``:
a run's page and its actions, creating a connection and a pool, changing a user's role and
password, and a link check over every page reachable from the navigation (no 404)."""

from __future__ import annotations

import html
import re
from collections import deque
from urllib.parse import quote, urljoin, urlsplit

from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import LiveBaton, screenshot

ORDER = {"order_id": "B-9", "items": {"pen": 1}, "customer": "ada@example.com"}
SKIP_PREFIXES = ("/static/", "/auth/logout", "/api/")
MAX_PAGES = 400


def _finished_run(live: LiveBaton) -> str:
    run_id = live.baton.trigger("example_orders", ORDER)
    assert live.baton.wait_for_run("example_orders", run_id, timeout=120) == "success"
    return run_id


def test_run_page_shows_the_run_and_acts_on_it(page: Page, live: LiveBaton) -> None:
    run_id = _finished_run(live)
    page.goto(f"{live.url}/dags/example_orders/runs")
    page.click(f"[data-testid=runs-table] a:text-is('{run_id}')")
    expect(page).to_have_url(re.compile(r"/dags/example_orders/runs/manual__"))
    expect(page.locator("[data-testid=run-id]")).to_have_text(run_id)
    expect(page.locator("h1 .state")).to_have_text("success")
    expect(page.locator("[data-testid=run-trigger]")).to_contain_text("with the baton CLI")
    expect(page.locator("[data-testid=run-conf]")).to_contain_text('"order_id": "B-9"')
    expect(page.locator("[data-testid=run-gantt] g.try").first).to_be_visible()
    expect(page.locator("[data-testid=run-events]")).to_contain_text("run_state")
    screenshot(page, "20_run_page")

    page.click("[data-testid=run-mark-failed]")
    expect(page.locator(".flash-success")).to_contain_text(f"Marked run '{run_id}' failed")
    expect(page.locator("h1 .state")).to_have_text("failed")
    page.click("[data-testid=run-clear-form] button")
    expect(page.locator(".flash-success")).to_contain_text("Cleared")
    for _ in range(240):  # the scheduler runs it again: the page shows it when reloaded
        if page.locator("h1 .state").inner_text() == "success":
            break
        page.wait_for_timeout(500)
        page.reload()
    expect(page.locator("h1 .state")).to_have_text("success")
    screenshot(page, "21_run_page_cleared")
    assert page.dialogs == []  # type: ignore[attr-defined]


def test_create_a_connection_and_a_pool(page: Page, live: LiveBaton) -> None:
    page.click("[data-testid=admin-menu] summary")
    page.click("[data-testid=admin-menu] a:text-is('Connections')")
    page.click("[data-testid=new-connection]")
    page.fill("#conn_id", "orders_api")
    page.fill("#conn_type", "http")
    page.fill("#host", "http://127.0.0.1:1")
    page.fill("#login", "shop")
    page.fill("#password", "browser-secret-pw")
    page.fill("#extra", '{"api_token": "tok-browser-123", "timeout": }')
    expect(page.locator(".json-status")).to_contain_text("Not valid JSON")
    screenshot(page, "22_connection_form_invalid_json")
    page.fill("#extra", '{"api_token": "tok-browser-123", "timeout": 5}')
    page.click("[data-testid=save-connection]")
    row = page.locator("tr[data-conn-id=orders_api]")
    expect(row).to_contain_text("127.0.0.1")
    expect(row).to_contain_text("api_token, timeout")
    body = page.content()
    assert "browser-secret-pw" not in body and "tok-browser-123" not in body
    screenshot(page, "23_connections")

    row.locator("a:text-is('Edit')").click()
    expect(page.locator("#password")).to_have_value("")
    assert "tok-browser-123" not in page.content()
    page.fill("#description", "the shop's API")
    page.click("[data-testid=save-connection]")
    expect(page.locator("tr[data-conn-id=orders_api]")).to_contain_text("the shop's API")
    page.locator("tr[data-conn-id=orders_api] [data-testid=test-connection]").click()
    expect(page.locator(".flash-error")).to_contain_text("Connection 'orders_api' FAILED")

    page.goto(f"{live.url}/pools")
    page.fill("#pool-name", "shop_api")
    page.fill("#pool-slots", "3")
    page.fill("#pool-description", "calls to the shop")
    page.click("[data-testid=pool-set]")
    expect(page.locator("tr[data-pool=shop_api] [data-testid=pool-slots]")).to_have_text("3")
    page.locator("tr[data-pool=shop_api] [data-testid=pool-edit]").click()
    expect(page.locator("#pool-name")).to_have_value("shop_api")
    page.fill("#pool-slots", "5")
    page.click("[data-testid=pool-set]")
    expect(page.locator("tr[data-pool=shop_api] [data-testid=pool-slots]")).to_have_text("5")
    screenshot(page, "24_pools")


def test_change_a_users_role_and_password(page: Page, live: LiveBaton, browser: Browser) -> None:
    page.goto(f"{live.url}/auth/users")
    page.fill("#new-username", "carol")
    page.fill("#new-password", "carol-first-pw")
    page.select_option("#new-role", "Viewer")
    page.click("[data-testid=create-user-form] button")
    carol = page.locator("tr[data-username=carol]")
    carol.locator("[data-testid=role-select]").select_option("Op")
    carol.locator("[data-testid=role-save]").click()
    expect(page.locator(".flash-success")).to_contain_text("now has role Op (was Viewer)")
    carol.locator("[data-testid=reset-password-input]").fill("carol-second-pw")
    carol.locator("[data-testid=reset-password]").click()
    expect(page.locator(".flash-success")).to_contain_text("Password of 'carol' reset")
    screenshot(page, "25_users")

    context = browser.new_context(viewport={"width": 1360, "height": 900})
    try:
        tab = context.new_page()
        tab.goto(f"{live.url}/auth/login")
        tab.fill("#username", "carol")
        tab.fill("#password", "carol-second-pw")
        tab.click("button[type=submit]")
        expect(tab.locator(".userbox .role")).to_have_text("Op")
        tab.click("[data-testid=user-menu] summary")
        tab.click("[data-testid=my-password]")
        tab.fill("#current_password", "carol-second-pw")
        tab.fill("#new_password", "carol-third-pw")
        tab.fill("#confirm_password", "carol-third-pw")
        tab.click("[data-testid=password-form] button")
        expect(tab.locator(".flash-success")).to_contain_text("Your password was changed")
        screenshot(tab, "26_change_my_password")
        tab.goto(f"{live.url}/auth/users")  # an Op is refused, with the truth about roles
        expect(tab.locator("[data-testid=error-message]")).to_contain_text(
            "has role Op; this needs Admin or above"
        )
        expect(tab.locator("[data-testid=role-help]")).to_contain_text("changed by an Admin")
        screenshot(tab, "27_forbidden")
    finally:
        context.close()


def test_no_link_on_any_page_is_a_404(page: Page, live: LiveBaton) -> None:
    _finished_run(live)
    page.goto(f"{live.url}/no/such/page")
    expect(page.locator("[data-testid=error-message]")).to_contain_text("no page at /no/such/page")
    screenshot(page, "28_not_found")
    page.goto(f"{live.url}/docs/plugins.md")
    screenshot(page, "29_doc_writing_plugins")

    broken, seen = _crawl(page, live.url)
    assert len(seen) > 40, sorted(seen)  # the crawl reached the pages, not just the login
    assert broken == [], broken


def _crawl(page: Page, base: str) -> tuple[list[str], set[str]]:
    """Every same-site link reachable from the DAG list, the nav menus included, with the
    page each was found on; returns the ones answered 404 (or 5xx) and what was visited."""
    origin = urlsplit(base).netloc
    queue: deque[tuple[str, str]] = deque([("/dags", "start")])
    seen: set[str] = {"/dags"}
    broken: list[str] = []
    while queue and len(seen) < MAX_PAGES:
        path, found_on = queue.popleft()
        response = page.request.get(base + path, max_redirects=5)
        if response.status == 404 or response.status >= 500:
            broken.append(f"{path} ({response.status}, linked from {found_on})")
            continue
        if "text/html" not in response.headers.get("content-type", ""):
            continue
        for href in re.findall(r'href="([^"]+)"', response.text()):
            target = urlsplit(urljoin(base + path, html.unescape(href)))
            if target.netloc != origin or target.path.startswith(SKIP_PREFIXES):
                continue
            link = quote(target.path, safe="/%:+@") + (f"?{target.query}" if target.query else "")
            if link not in seen and _worth_visiting(link, seen):
                seen.add(link)
                queue.append((link, path))
    return broken, seen


def _worth_visiting(link: str, seen: set[str]) -> bool:
    """Every path, but at most 3 query-string variants of each (pagers, filters, sorts)."""
    path = link.split("?", 1)[0]
    return "?" not in link or sum(1 for s in seen if s.split("?", 1)[0] == path) < 4
