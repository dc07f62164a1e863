"""A secret written raw into a try's log (past the runner's own write-time masking) never
comes back from any reader: the live tail, the download, the REST API, ``baton tasks logs``.

The reading process starts knowing no secret (as a web UI or a CLI that never loaded the
connection does): the one log reader registers the stored ones itself."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from click.testing import CliRunner
from flask import url_for

from scheduler import api
from scheduler.cli import cli
from scheduler.connections import Connection
from scheduler.connections.manage import add_connection
from scheduler.masking import clear_secrets
from tests.webui.conftest import BatonClient, WebUI

SECRET = "pw-raw-4f9c2e71-in-the-log"


@pytest.fixture
def raw_secret_log(webui: WebUI) -> Iterator[str]:
    """The seeded ``extract`` try's log, with the password of a stored connection appended
    raw; the password is known to this process only through the database. The log is the
    seed's, shared by every test: it is put back as it was."""
    add_connection(webui.settings, Connection("warehouse", "postgres", password=SECRET))
    (log_path,) = [
        t.log_path
        for t in api.list_tries(webui.settings, "demo_etl", webui.seed.success_run, "extract")
    ]
    assert log_path is not None
    original = Path(log_path).read_bytes()
    with open(log_path, "a", encoding="utf-8") as log:
        log.write(f"a line with {SECRET} in it\n")
    clear_secrets()
    yield log_path
    Path(log_path).write_bytes(original)


def _live_tail(webui: WebUI, client: BatonClient, offset: int = 0) -> str:
    with webui.app.test_request_context():
        url = url_for(
            "tasks.log_tail", dag_id="demo_etl", run_id=webui.seed.success_run, task_id="extract"
        )
    return client.get(f"{url}?offset={offset}").get_json()["text"]


def _download(webui: WebUI, client: BatonClient) -> str:
    with webui.app.test_request_context():
        url = url_for(
            "tasks.log_download",
            dag_id="demo_etl",
            run_id=webui.seed.success_run,
            task_id="extract",
        )
    return client.get(url).get_data(as_text=True)


def _rest_api(webui: WebUI, client: BatonClient) -> str:
    run = quote(webui.seed.success_run, safe="")
    return client.get(f"/api/v1/dags/demo_etl/dagRuns/{run}/taskInstances/extract/logs").json[
        "content"
    ]


def _cli(webui: WebUI, _client: BatonClient) -> str:
    env = {
        "BATON_HOME": str(webui.settings.home),
        "BATON_DATABASE_URL": webui.settings.database_url,
    }
    result = CliRunner().invoke(
        cli, ["tasks", "logs", "demo_etl", webui.seed.success_run, "extract"], env=env
    )
    assert result.exit_code == 0, result.output
    return result.output


READERS: dict[str, Callable[[WebUI, BatonClient], str]] = {
    "live tail": _live_tail,
    "download": _download,
    "REST API": _rest_api,
    "baton tasks logs": _cli,
}


@pytest.mark.parametrize("reader", READERS)
def test_a_raw_secret_never_comes_back(
    reader: str, raw_secret_log: str, webui: WebUI, viewer_client: BatonClient
) -> None:
    try:
        text = READERS[reader](webui, viewer_client)
    finally:
        clear_secrets()
    assert "extracting rows" in text and "a line with *** in it" in text
    assert SECRET not in text


def test_a_tail_starting_inside_the_secret_shows_none_of_it(
    raw_secret_log: str, webui: WebUI, viewer_client: BatonClient
) -> None:
    with open(raw_secret_log, "rb") as log:
        inside = log.read().index(SECRET.encode()) + 4
    try:
        text = _live_tail(webui, viewer_client, offset=inside)
    finally:
        clear_secrets()
    assert text == "*** in it\n" and SECRET[4:] not in text
