"""Every route and every role: login, CSRF and roles are enforced on every route of the app.

The routes are read from ``app.url_map``, so a route added later (by any blueprint) is
checked without anyone writing a new test: without login it is refused (a redirect to the
login page, or 401 JSON for the API and /metrics) unless it is public; a state-changing
request without the CSRF token is refused; a role below the view's ``role_required`` is
refused; a role high enough gets past the gate.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.routing import Rule
from werkzeug.test import TestResponse

from scheduler.settings import Settings
from tests.webui.conftest import BatonClient, Seed, WebUI
from webui import create_app
from webui.auth.guard import PUBLIC_ENDPOINTS
from webui.auth.roles import ROLES, has_role

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


@dataclass(frozen=True)
class Route:
    endpoint: str
    method: str
    rule: str
    role: str  # the least role allowed

    @property
    def id(self) -> str:
        return f"{self.method} {self.rule}"

    @property
    def public(self) -> bool:
        return self.endpoint in PUBLIC_ENDPOINTS

    @property
    def machine(self) -> bool:
        """Answers 401 JSON instead of redirecting to the login page."""
        return self.rule.startswith("/api/") or self.rule == "/metrics"


def url_map_app() -> Flask:
    """An app built only to read its routes (no database is touched)."""
    home = Path(tempfile.mkdtemp(prefix="baton-routes-"))
    settings = Settings.from_env({"BATON_HOME": str(home)})
    return create_app({"BATON_SETTINGS": settings, "SECRET_KEY": "routes-only"})


def all_routes(app: Flask) -> list[Route]:
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        view = app.view_functions[rule.endpoint]
        role = getattr(view, "baton_role", ROLES[0])
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            routes.append(Route(rule.endpoint, method, rule.rule, role))
    return routes


def build_url(app: Flask, route: Route, values: dict[str, object]) -> str:
    """The route's URL with each argument taken from ``values`` (1 for ints, "x" if unknown)."""
    rule: Rule = next(r for r in app.url_map.iter_rules(route.endpoint) if r.rule == route.rule)
    args = {}
    for name in rule.arguments:
        default = 1 if f"<int:{name}>" in rule.rule else "x"
        args[name] = values.get(name, default)
    with app.test_request_context():
        adapter = app.url_map.bind("localhost")
        return adapter.build(route.endpoint, args, method=route.method)


APP = url_map_app()
ROUTES = all_routes(APP)
PROTECTED = [r for r in ROUTES if not r.public]
# Inbound webhooks are authenticated by an HMAC signature over the body, never by the
# session cookie, so a forged cross-site request gains nothing and CSRF does not apply
# (their signature checks: tests/e2e/test_webhooks_sync_runs.py).
SIGNED = {r.rule for r in ROUTES if r.rule.startswith("/hooks/")}
UNSAFE_ROUTES = [r for r in ROUTES if r.method in UNSAFE and r.rule not in SIGNED]


def _values(seed: Seed) -> dict[str, object]:
    return {
        "dag_id": "demo_etl",
        "run_id": seed.success_run,
        "dag_run_id": seed.success_run,
        "task_id": "extract",
        "try_number": 1,
        "username": "nobody-here",
        "token_id": 999,
    }


def _call(client: BatonClient, route: Route, url: str, *, csrf: bool) -> TestResponse:
    headers = {"X-CSRF-Token": client.csrf} if csrf and route.method in UNSAFE else {}
    return client.open(url, method=route.method, headers=headers)


def test_the_app_has_the_core_routes() -> None:
    endpoints = {r.endpoint for r in ROUTES}
    assert {
        "auth.login",
        "auth.tokens",
        "auth.users",
        "health.health",
        "health.metrics",
    } <= endpoints
    assert {"api.get_dags", "api.post_dag_run", "api.get_event_logs"} <= endpoints


@pytest.mark.parametrize("route", PROTECTED, ids=lambda r: r.id)
def test_without_login_is_refused(webui: WebUI, anon_client: BatonClient, route: Route) -> None:
    response = _call(anon_client, route, build_url(APP, route, _values(webui.seed)), csrf=True)
    if route.machine:
        assert response.status_code == 401
        assert response.is_json and "Bearer" in response.json["error"]
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    else:
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/auth/login?next=")


@pytest.mark.parametrize("route", PROTECTED, ids=lambda r: r.id)
def test_a_bad_token_is_refused(webui: WebUI, anon_client: BatonClient, route: Route) -> None:
    url = build_url(APP, route, _values(webui.seed))
    for header in ("Bearer baton_not-a-real-token", "Bearer ", "Basic YWRtaW46YWRtaW4="):
        response = anon_client.open(url, method=route.method, headers={"Authorization": header})
        assert response.status_code == 401, header
        assert response.is_json


@pytest.mark.parametrize("route", UNSAFE_ROUTES, ids=lambda r: r.id)
def test_state_changes_without_csrf_token_are_refused(
    webui: WebUI, admin_client: BatonClient, route: Route
) -> None:
    url = build_url(APP, route, _values(webui.seed))
    for headers in ({}, {"X-CSRF-Token": "wrong"}):
        response = admin_client.open(url, method=route.method, headers=headers)
        assert response.status_code == 403, headers
        assert b"CSRF" in response.data


@pytest.mark.parametrize("route", PROTECTED, ids=lambda r: r.id)
def test_roles_below_the_required_one_are_refused(webui: WebUI, route: Route) -> None:
    url = build_url(APP, route, _values(webui.seed))
    for role in ROLES:
        response = _call(webui.client(role), route, url, csrf=True)
        if has_role(role, route.role):
            assert response.status_code not in (401, 403), (role, response.data[:300])
            assert response.status_code != 500, (role, response.data[:300])
            if route.endpoint != "auth.logout":  # the one route that sends you there
                assert "/auth/login" not in response.headers.get("Location", "")
        else:
            assert response.status_code == 403, (role, response.data[:300])


@pytest.mark.parametrize("route", [r for r in PROTECTED if r.machine], ids=lambda r: r.id)
def test_tokens_act_with_their_owners_role(webui: WebUI, route: Route) -> None:
    """Bearer calls need no CSRF token, and get exactly their user's role."""
    url = build_url(APP, route, _values(webui.seed))
    for role in ROLES:
        client = webui.app.test_client()
        response = client.open(url, method=route.method, headers=webui.bearer(role))
        if has_role(role, route.role):
            assert response.status_code not in (401, 403), (role, response.data[:300])
        else:
            assert response.status_code == 403, role


def test_public_routes_need_no_login(anon_client: BatonClient) -> None:
    assert anon_client.get("/health").status_code in (200, 503)
    assert anon_client.get("/auth/login").status_code == 200
    assert anon_client.get("/static/baton.css").status_code == 200


def test_unknown_pages_need_login_too(anon_client: BatonClient) -> None:
    assert anon_client.get("/no/such/page").status_code == 302
    assert anon_client.get("/api/v1/no/such/thing").status_code == 401
