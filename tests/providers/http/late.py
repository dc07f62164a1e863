"""A port that refuses connections until the test opens it: a ``FakeService``-style server
bound at once (so the port is known and taken) but listening only after ``open()``."""

from __future__ import annotations

import threading
from http.server import ThreadingHTTPServer

from .service import FakeService, _handler_for


class LateService(FakeService):
    """``FakeService`` whose port refuses connections until ``open()``."""

    def __init__(self) -> None:
        super().__init__()
        # Rebuild the server unactivated: bound (the port is ours), not listening (refused).
        self._server.server_close()
        self._server = ThreadingHTTPServer(
            ("127.0.0.1", 0), _handler_for(self), bind_and_activate=False
        )
        self._server.daemon_threads = True
        self._server.server_bind()
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self.opened = False

    def open(self) -> None:
        self._server.server_activate()
        self._thread.start()
        self.opened = True

    def open_after(self, seconds: float) -> threading.Timer:
        timer = threading.Timer(seconds, self.open)
        timer.daemon = True
        timer.start()
        return timer

    def __enter__(self) -> LateService:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.opened:
            self._server.shutdown()
        self._server.server_close()
