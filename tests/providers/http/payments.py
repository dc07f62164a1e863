"""A small real payment service that charges, then answers too late: the worst case for
retries. A charge is applied the first time its ``Idempotency-Key`` is seen; the first
``slow_calls`` calls of every key then sleep ``slow_s`` before answering, so a client with a
shorter timeout gives up although the money was taken. Later calls with the same key get
the stored charge back at once, with no second charge — as Stripe-style services do.

    with PaymentService(slow_calls=3, slow_s=1.0) as pay:
        ...  # POST {pay.url}/charges {"amount": 42} with an Idempotency-Key header
        pay.charges   # {key: times charged}   pay.calls   # {key: calls received}
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class PaymentService:
    def __init__(self, slow_calls: int = 3, slow_s: float = 1.0) -> None:
        self.slow_calls, self.slow_s = slow_calls, slow_s
        self.charges: Counter[str] = Counter()  # key -> charges applied (must stay 1)
        self.calls: Counter[str] = Counter()  # key -> requests received
        self.try_numbers: dict[str, list[str]] = {}  # key -> Baton-Try-Number of each call
        self.amounts: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def charge(self, key: str, try_number: str | None, body: dict[str, Any]) -> dict[str, Any]:
        """Apply the charge once per key; say how long to wait before answering."""
        with self._lock:
            self.calls[key] += 1
            self.try_numbers.setdefault(key, []).append(try_number or "")
            if key not in self.amounts:
                self.amounts[key] = body.get("amount")
                self.charges[key] += 1
            slow = self.calls[key] <= self.slow_calls
            return {"key": key, "amount": self.amounts[key], "delay": self.slow_s if slow else 0}

    def __enter__(self) -> PaymentService:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def _handler(service: PaymentService) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            key = self.headers.get("Idempotency-Key")
            if not key:
                return self._send(400, {"error": "send an Idempotency-Key header"})
            answer = service.charge(key, self.headers.get("Baton-Try-Number"), body)
            time.sleep(answer.pop("delay"))
            self._send(201, {"charged": answer["amount"], "key": key})

        def _send(self, status: int, body: dict[str, Any]) -> None:
            payload = json.dumps(body).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up first
                pass

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
