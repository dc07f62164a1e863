"""Schemathesis fuzzes the live API (a real HTTP server on a free loopback port) from the
OpenAPI document: no 5xx, status codes, content types and bodies as documented."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from tests.webui.conftest import WebUI
from webui.rest.openapi import DOCUMENT

SCHEMATHESIS = str(Path(sys.executable).with_name("schemathesis"))
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
    ]
)


class _QuietHandler(WSGIRequestHandler):
    """No access log: schemathesis sends hundreds of requests."""

    def log_request(self, *args: object, **kwargs: object) -> None:
        pass


@pytest.fixture
def live_server(webui: WebUI) -> Iterator[BaseWSGIServer]:
    server = make_server("127.0.0.1", 0, webui.app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        thread.join(timeout=10)


def test_the_api_matches_its_openapi_document(
    webui: WebUI, live_server: BaseWSGIServer, tmp_path: Path
) -> None:
    spec = tmp_path / "openapi.json"
    spec.write_text(json.dumps(DOCUMENT))
    command = [
        SCHEMATHESIS,
        "run",
        str(spec),
        "--url",
        f"http://127.0.0.1:{live_server.server_port}/api/v1",
        "--header",
        f"Authorization: Bearer {webui.seed.tokens['Admin']}",
        "--checks",
        CHECKS,
        "--phases",
        "examples,coverage,fuzzing",
        "--max-examples",
        "20",
        "--workers",
        "2",
        "--seed",
        "1",
        "--generation-database",
        "none",
        "--generation-with-security-parameters",
        "false",
        "--request-timeout",
        "30",
        "--no-color",
        # /health answers 503 by design while no scheduler runs (test_health_prometheus covers it);
        # schemathesis counts any 5xx as a server error.
        "--exclude-path",
        "/health",
    ]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
