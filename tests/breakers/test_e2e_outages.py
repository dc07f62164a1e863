"""Through the real scheduler and its workers: declined payments (HTTP 500, or classified
by ``is_business_error``) leave the shared breaker closed for every order; outages open it;
``baton breakers list`` and the web UI show it half-open once the cool-down has passed, with
no call needed to notice."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import datetime

import pytest

from tests.e2e.harness import Baton
from tests.e2e.webserver import get, running_webui
from tests.providers.http.service import FakeService

pytestmark = pytest.mark.e2e

DAG = """
from datetime import datetime, timezone
from scheduler import DAG
from plugins.http import HttpOperator

with DAG("checkout", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
         params={"order_id": "A-1"}):
    HttpOperator(
        task_id="charge", http_conn_id="payments", endpoint="charge",
        data={"order_id": "{{ params.order_id }}"}, max_attempts=1,
        is_business_error=lambda response: "declined" in response.text,
    )
"""


def breaker(baton: Baton) -> dict | None:
    rows = baton.cli_json("breakers", "list")
    return next((r for r in rows if r["conn_id"] == "payments"), None)


def order(baton: Baton, order_id: str) -> str:
    run_id = baton.trigger("checkout", {"order_id": order_id})
    return baton.wait_for_run("checkout", run_id, timeout=120)


@pytest.fixture
def service() -> Iterator[FakeService]:
    with FakeService() as svc:
        yield svc


def test_refusals_leave_the_breaker_closed_and_its_shown_state_is_the_effective_one(
    baton: Baton, service: FakeService
) -> None:
    # 15 s of cool-down: the three orders and the checks below fit in it on a loaded machine
    extra = "breaker_failure_threshold=2&breaker_reset_timeout_s=15"
    baton.env["BATON_CONN_PAYMENTS"] = f"http://127.0.0.1:{service.port}/?{extra}"
    baton.env["BATON_TEST_PASSWORD"] = "a-long-test-password"
    baton.cli("users", "create", "--username", "ops", "--role", "Viewer",
              "--password-from-env", "BATON_TEST_PASSWORD")  # fmt: skip
    token = baton.cli_json("users", "tokens", "create", "--username", "ops", "--name", "t")
    baton.write_dag("checkout.py", DAG)
    baton.start()
    baton.wait_for_dag("checkout")

    # Declined payments: a plain 500, and a 503 whose body the DAG classifies as a refusal.
    service.reply(500, {"error": "insufficient funds"}, times=2)
    service.reply(503, {"error": "card declined"}, times=2)
    for n in range(4):
        assert order(baton, f"D-{n}") == "failed"
    assert len(service.calls) == 4  # every order reached the payment service
    assert (breaker(baton)["state"], breaker(baton)["failures"]) == ("closed", 0)
    service.reply(200, {"charge_id": "ch_ok"})
    assert order(baton, "OK-1") == "success"  # the next order goes through

    with running_webui(baton) as url:
        # An outage: two 503s open the shared breaker; the third order fails fast.
        service.reply(503, {"error": "maintenance"}, times=2)
        assert order(baton, "O-1") == "failed" and order(baton, "O-2") == "failed"
        assert order(baton, "O-3") == "failed"
        assert len(service.calls) == 7
        shown = breaker(baton)
        assert (shown["state"], shown["failures"]) == ("open", 2)
        status, page = get(f"{url}/breakers", token["token"])
        assert status == 200 and 'class="state brk-open"' in page.decode()
        assert api_state(url, token["token"]) == ("open", 2)

        # No call arrives; once the cool-down has passed the breaker shows what it will do.
        baton.wait_until("the cool-down", lambda: breaker(baton)["state"] == "half_open", 60)
        assert time.time() >= _epoch(shown["half_open_at"]) - 0.5
        assert len(service.calls) == 7  # nothing probed: the state is read, not changed
        status, page = get(f"{url}/breakers", token["token"])
        assert 'class="state brk-half_open"' in page.decode() and "half open" in page.decode()
        assert api_state(url, token["token"]) == ("half_open", 2)
    assert "half_open" in baton.cli("breakers", "list").stdout.splitlines()[1]

    # The next order is the probe: the service is back, the breaker closes.
    service.reply(200, {"charge_id": "ch_back"})
    assert order(baton, "B-1") == "success"
    assert (breaker(baton)["state"], breaker(baton)["failures"]) == ("closed", 0)


def api_state(url: str, token: str) -> tuple[str, int]:
    """The payment breaker as the REST API shows it (GET /api/v1/breakers)."""
    status, body = get(f"{url}/api/v1/breakers", token)
    assert status == 200, body
    listing = json.loads(body)
    (row,) = [b for b in listing["breakers"] if b["conn_id"] == "payments"]
    assert listing["total_entries"] == 1
    return row["state"], row["failures"]


def _epoch(iso: str) -> float:

    return datetime.fromisoformat(iso).timestamp()
