"""A real HTTP service with a fixed capacity: above ``rate`` calls a second it answers 429.

Its own token bucket (``rate`` per second, ``burst`` at once) decides each call; a refused
call gets ``429 Too Many Requests`` with ``Retry-After``. Every call is recorded with the
time it arrived and the status it got. Bound to a free loopback port (port 0).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Answered:
    at: float  # time.monotonic() when the call arrived
    status: int


class CapacityService:
    """``with CapacityService(rate=10) as svc: ...; svc.answered`` lists every call."""

    def __init__(self, rate: float, burst: float = 3.0, retry_after_s: int = 1) -> None:
        self.rate, self.burst, self.retry_after_s = rate, burst, retry_after_s
        self.answered: list[Answered] = []
        self._tokens, self._stamp = burst, time.monotonic()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def admit(self) -> int:
        """The status of a call arriving now: 200 within the capacity, else 429."""
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now
            status = 200 if self._tokens >= 1 else 429
            if status == 200:
                self._tokens -= 1
            self.answered.append(Answered(now, status))
            return status

    def __enter__(self) -> CapacityService:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def _handler_for(service: CapacityService) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status = service.admit()
            body = b'{"ok": true}' if status == 200 else b'{"error": "slow down"}'
            self.send_response(status)
            if status == 429:
                self.send_header("Retry-After", str(service.retry_after_s))
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass  # the test prints its own summary

    return Handler


@dataclass(frozen=True)
class Summary:
    """What the service saw in the last ``window_s`` seconds of a run, and overall."""

    calls: int
    refused: int
    window_s: float
    window_ok: int
    window_refused: int

    @property
    def window_rate(self) -> float:
        return self.window_ok / self.window_s

    def line(self, capacity: float) -> str:
        return (
            f"{self.calls} calls, {self.refused} answered 429; last {self.window_s:g} s: "
            f"{self.window_rate:.2f} ok/s = {self.window_rate / capacity:.0%} of the capacity "
            f"{capacity:g}/s, {self.window_refused} answered 429"
        )


def summarize(answered: list[Answered], window_s: float) -> Summary:
    """The calls of the whole run, and of its last ``window_s`` seconds."""
    end = max(a.at for a in answered)
    last = [a for a in answered if a.at > end - window_s]
    return Summary(
        calls=len(answered),
        refused=sum(a.status == 429 for a in answered),
        window_s=window_s,
        window_ok=sum(a.status == 200 for a in last),
        window_refused=sum(a.status == 429 for a in last),
    )


def timeline(answered: list[Answered]) -> str:
    """Per second: ok calls, and 429s in brackets (for a human reading the output)."""
    start = min(a.at for a in answered)
    seconds: dict[int, list[int]] = {}
    for a in answered:
        counts = seconds.setdefault(int(a.at - start), [0, 0])
        counts[a.status != 200] += 1
    return " ".join(
        f"{ok}" + (f"[{refused}]" if refused else "")
        for _, (ok, refused) in sorted(seconds.items())
    )
