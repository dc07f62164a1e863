"""``baton standalone`` started in a folder with a ``plugins/`` directory of the user's own:
every page loads for a logged-in user, the bundled providers are registered beside the
user's plugin, and DAG files still import ``plugins.http``."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.harness import Baton
from webui import create_app

from .standalone import Standalone

pytestmark = pytest.mark.e2e

USER_PLUGIN = """
from scheduler import BaseOperator, BatonPlugin, MenuLink

class ShopOperator(BaseOperator):
    def execute(self, context):
        return "shop"

plugin = BatonPlugin(name="shop", operators=[ShopOperator],
                     menu_links=[MenuLink(name="Shop docs", href="/docs/shop")])
"""

DAG = """
from scheduler import DAG, PythonOperator, task
from plugins.http import HttpSensor  # the bundled provider, not ./plugins

with DAG("site_dag", schedule=None, tags=["site"]):
    first = PythonOperator(task_id="first", python_callable=lambda: HttpSensor.__name__)

    @task
    def each(n):
        return n * 2

    first >> each.expand(n=[1, 2])
"""


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Standalone]:
    """A project folder: ./plugins (no __init__.py, the usual layout) holds the user's
    plugin; BATON_PLUGINS_FOLDER is not set, so ./plugins is the plugins folder."""
    root = tmp_path / "site"
    (root / "plugins").mkdir(parents=True)
    (root / "plugins" / "shop_plugin.py").write_text(textwrap.dedent(USER_PLUGIN))
    baton = Baton(root)
    baton.env.pop("BATON_PLUGINS_FOLDER", None)
    baton.write_dag("site_dag.py", DAG)
    standalone = Standalone(baton, cwd=root)
    try:
        yield standalone
    finally:
        standalone.kill()


def _pages(baton: Baton, run_id: str) -> list[str]:
    """Every GET route of the app, its arguments filled from the run."""
    values = {
        "dag_id": "site_dag",
        "run_id": run_id,
        "dag_run_id": run_id,
        "task_id": "first",
        "pool_name": "default_pool",
        "filename": "baton.css",
        "version_number": 1,  # the DAG's first (and only) version
        "conn_id": "site_conn",  # made by the test through the CLI
        "key": "site_var",
        "name": "scaling.md",  # a document under /docs
        "backfill_id": 1,  # none exists (site_dag has no schedule): answered 404 JSON
    }
    mapped = {"task_id": "each", "map_index": "1"}
    app = create_app({"BATON_SETTINGS": baton.settings})
    pages = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()):
            continue
        wants_mapped = "map_index" in rule.arguments or rule.rule.endswith(("mapped", "Mapped"))
        args = {**values, **(mapped if wants_mapped else {})}
        if rule.rule.startswith("/api/v1/docs/assets"):
            args["filename"] = "index.css"  # Swagger UI's own files
        page = rule.build({k: args[k] for k in rule.arguments}, append_unknown=False)[1]
        if page.endswith("/versions/diff"):
            page += "?from=1&to=1"  # the diff of two versions (none given: a 400 page)
        pages.append(page)
    return sorted(pages)


def test_every_page_loads_with_a_plugins_folder_in_the_current_directory(
    site: Standalone,
) -> None:
    site.start()
    site.wait_healthy()
    site.baton.cli(
        "connections", "add", "site_conn", "--conn-type", "http", "--conn-host", "x.test"
    )
    site.baton.cli("variables", "set", "site_var", "1")
    run_id = site.baton.trigger("site_dag")
    assert site.baton.wait_for_run("site_dag", run_id, timeout=90) == "success"
    session = site.login()
    pages = _pages(site.baton, run_id)
    assert len(pages) > 30
    answers = {page: session.get(site.url + page, timeout=30).status_code for page in pages}
    missing = {  # no backfill to show; no task of site_dag asks a person anything (HITL)
        page
        for page in pages
        if "/backfills/1" in page or ("/taskInstances/" in page and page.endswith("/hitlDetails"))
    }
    assert {page: code for page, code in answers.items() if page in missing} == dict.fromkeys(
        missing, 404
    )
    assert {
        page: code for page, code in answers.items() if code != 200 and page not in missing
    } == {}
    plugins_page = session.get(f"{site.url}/plugins", timeout=30).text
    for name in ("shop", "http", "sql", "example_greeter"):
        assert f">{name}<" in plugins_page, name
    assert "Shop docs" in session.get(f"{site.url}/", timeout=30).text  # the user's menu link
    assert site.stop() == 0
    assert "Traceback" not in site.text(), site.text()[-4000:]
