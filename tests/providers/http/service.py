"""A small real HTTP service on a free loopback port, scripted per call by the tests.

Each call is recorded (time seen by the server, method, path, query, headers, body). A test
queues the responses of the next calls — a status, a body, headers such as ``Retry-After``,
a delay before answering — and the service echoes the request as JSON once the queue is
empty. No HTTP library is mocked: the hook talks to this server over TCP.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Recorded:
    at: float  # time.monotonic() when the request arrived
    wall: float  # time.time() then, to compare with an HTTP date
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Scripted:
    status: int = 200
    body: Any = None  # dict/list → JSON, str → text, None → echo of the request
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


class FakeService:
    """``with FakeService() as svc: svc.reply(503, headers={"Retry-After": "1"})``"""

    def __init__(self) -> None:
        self.calls: list[Recorded] = []
        self._script: deque[Scripted] = deque()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def reply(
        self,
        status: int = 200,
        body: Any = None,
        headers: dict[str, str] | None = None,
        delay_s: float = 0.0,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` calls so (after the calls already scripted)."""
        with self._lock:
            for _ in range(times):
                self._script.append(Scripted(status, body, dict(headers or {}), delay_s))

    def next_reply(self) -> Scripted | None:
        with self._lock:
            return self._script.popleft() if self._script else None

    def record(self, call: Recorded) -> None:
        with self._lock:
            self.calls.append(call)

    def __enter__(self) -> FakeService:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def _handler_for(service: FakeService) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            parts = urlsplit(self.path)
            call = Recorded(
                at=time.monotonic(),
                wall=time.time(),
                method=self.command,
                path=parts.path,
                query=dict(parse_qsl(parts.query)),
                headers={k.lower(): v for k, v in self.headers.items()},
                body=self.rfile.read(length) if length else b"",
            )
            service.record(call)
            scripted = service.next_reply() or Scripted()
            time.sleep(scripted.delay_s)
            self._answer(call, scripted)

        def _answer(self, call: Recorded, scripted: Scripted) -> None:
            body = scripted.body
            if body is None:
                body = {
                    "method": call.method,
                    "path": call.path,
                    "query": call.query,
                    "body": call.body.decode(errors="replace"),
                }
            is_text = isinstance(body, str)
            payload = (body if is_text else json.dumps(body)).encode()
            try:
                self.send_response(scripted.status)
                content_type = "text/plain" if is_text else "application/json"
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                for name, value in scripted.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):  # the client timed out first
                pass

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:  # keep pytest output clean
            pass

    return Handler
