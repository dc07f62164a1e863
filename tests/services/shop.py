"""Three small HTTP microservices for the order saga: inventory, payment and shipping.

Each one keeps its state in memory, deduplicates requests by their ``Idempotency-Key``
header (a repeated key gets the first answer back, with no second side effect) and counts
every call per key. Failures and delays are injected per endpoint through a control
endpoint, so tests can break any step of the saga:

    POST /_control {"fail": {"charge": 2}}      the next 2 calls to /charge answer 503
    POST /_control {"delay": {"refund": 3.0}}   the next call to /refund waits 3 s first
    POST /_control {"delay": {"charge": [5, 5]}}  the next 2 calls to /charge wait 5 s each
    GET  /_state                                state, calls and effects per key

An undo may arrive before the call it undoes has been applied (that call timed out on the
caller's side but is still on its way): a release or refund of an order not seen yet
cancels the order, so a reservation or charge arriving later is refused (409) and has no
effect. The payment service declines an amount over 1000 with HTTP 500
``{"error": "payment declined"}``: a business answer, not an outage.

Endpoints (JSON bodies, JSON answers):

    inventory  POST /reserve {"order_id", "sku", "qty"}   POST /release {"order_id"}
    payment    POST /charge  {"order_id", "amount"}       POST /refund  {"order_id"}
    shipping   POST /ship    {"order_id"}

Run them for the example DAG (``dags/example_order_saga.py``)::

    python -m tests.services.shop            # ports 8101, 8102, 8103
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Handler = Callable[[dict[str, Any]], tuple[int, dict[str, Any]]]
DEFAULT_PORTS = {"inventory": 8101, "payment": 8102, "shipping": 8103}
DECLINE_ABOVE = 1000.0  # the payment service declines larger amounts


class Service:
    """One microservice: its endpoints, its state, its injected faults, its counters."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.lock = threading.Lock()
        self.state: dict[str, dict[str, Any]] = {}
        self.endpoints: dict[str, Handler] = {}
        self.answers: dict[str, tuple[int, dict[str, Any]]] = {}  # by idempotency key
        self.calls: Counter[str] = Counter()  # every request, per idempotency key
        self.effects: Counter[str] = Counter()  # side effects applied, per idempotency key
        self.keys: dict[str, list[str]] = {}  # endpoint -> keys seen, in order
        self.fail: Counter[str] = Counter()  # endpoint -> calls left to fail
        self.delay: dict[str, list[float]] = {}  # endpoint -> seconds, for its next calls
        self.started: Counter[str] = Counter()  # endpoint -> calls received
        self.finished: Counter[str] = Counter()  # endpoint -> calls answered (late ones too)

    def call(self, endpoint: str, key: str | None, body: dict[str, Any]) -> tuple[int, dict]:
        try:
            return self._call(endpoint, key, body)
        finally:
            with self.lock:
                self.finished[endpoint] += 1

    def _call(self, endpoint: str, key: str | None, body: dict[str, Any]) -> tuple[int, dict]:
        if endpoint not in self.endpoints:
            return 404, {"error": f"{self.name} has no endpoint /{endpoint}"}
        if not key:
            return 400, {"error": "send an Idempotency-Key header"}
        with self.lock:
            self.calls[key] += 1
            self.started[endpoint] += 1
            self.keys.setdefault(endpoint, []).append(key)
            delays = self.delay.get(endpoint) or [0.0]
            delay = delays.pop(0)
        time.sleep(delay)
        with self.lock:
            if key in self.answers:  # a repeated request: the same answer, no new effect
                return self.answers[key]
            if self.fail[endpoint] > 0:
                self.fail[endpoint] -= 1
                return 503, {"error": f"{self.name} /{endpoint} failure injected"}
            status, answer = self.endpoints[endpoint](body)
            if status < 400:
                self.effects[key] += 1
                self.answers[key] = (status, answer)
            return status, answer

    def control(self, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self.fail.update(body.get("fail", {}))
            for endpoint, seconds in body.get("delay", {}).items():
                more = seconds if isinstance(seconds, list) else [seconds]
                self.delay.setdefault(endpoint, []).extend(float(s) for s in more)
        return {"ok": True}

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return json.loads(
                json.dumps(
                    {
                        "state": self.state,
                        "calls": self.calls,
                        "effects": self.effects,
                        "keys": self.keys,
                        "started": self.started,
                        "finished": self.finished,
                    }
                )
            )


def inventory(stock: dict[str, int] | None = None) -> Service:
    service = Service("inventory")
    service.state = {"stock": dict(stock or {"widget": 10}), "reservations": {}, "cancelled": []}
    state = service.state

    def reserve(body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        order, sku, qty = body["order_id"], body["sku"], int(body["qty"])
        if order in state["cancelled"]:
            return 409, {"error": f"order {order} was cancelled (released before reserved)"}
        if order in state["reservations"]:
            return 200, {"reserved": state["reservations"][order]}
        if state["stock"].get(sku, 0) < qty:
            return 409, {"error": f"not enough {sku} in stock"}
        state["stock"][sku] -= qty
        state["reservations"][order] = {"sku": sku, "qty": qty}
        return 201, {"reserved": state["reservations"][order]}

    def release(body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        held = state["reservations"].pop(body["order_id"], None)
        if held is not None:
            state["stock"][held["sku"]] += held["qty"]
        elif body["order_id"] not in state["cancelled"]:  # a reservation may still come
            state["cancelled"].append(body["order_id"])
        return 200, {"released": held}

    service.endpoints = {"reserve": reserve, "release": release}
    return service


def payment() -> Service:
    service = Service("payment")
    service.state = {"charges": {}, "cancelled": []}
    charges, cancelled = service.state["charges"], service.state["cancelled"]

    def charge(body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        order, amount = body["order_id"], float(body["amount"])
        if order in cancelled:
            return 409, {"error": f"order {order} was cancelled (refunded before charged)"}
        if amount > DECLINE_ABOVE:
            return 500, {"error": "payment declined", "order_id": order}
        if order not in charges:
            charges[order] = {"amount": amount, "refunded": 0}
        return 201, {"charge_id": f"ch_{order}", **charges[order]}

    def refund(body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        found = charges.get(body["order_id"])
        if found is None:  # the charge may still come: it will be refused
            if body["order_id"] not in cancelled:
                cancelled.append(body["order_id"])
            return 200, {"refunded": 0}
        amount = found["amount"] - found["refunded"]
        found["refunded"] = found["amount"]
        return 200, {"refunded": amount}

    service.endpoints = {"charge": charge, "refund": refund}
    return service


def shipping() -> Service:
    service = Service("shipping")
    service.state = {"shipments": {}}
    shipments = service.state["shipments"]

    def ship(body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        shipments.setdefault(body["order_id"], {"tracking": f"TRK-{body['order_id']}"})
        return 201, shipments[body["order_id"]]

    service.endpoints = {"ship": ship}
    return service


def _handler_for(service: Service) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/_state":
                self._answer(200, service.snapshot())
            else:
                self._answer(404, {"error": f"GET {self.path} does not exist"})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            endpoint = self.path.strip("/")
            if endpoint == "_control":
                self._answer(200, service.control(body))
                return
            key = self.headers.get("Idempotency-Key")
            self._answer(*service.call(endpoint, key, body))

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

    return Handler


class RunningService:
    """A ``Service`` served over HTTP on a loopback port, in a background thread."""

    def __init__(self, service: Service, port: int = 0) -> None:
        self.service = service
        self.server = ThreadingHTTPServer(("127.0.0.1", port), _handler_for(service))
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def start_shop(ports: dict[str, int] | None = None) -> dict[str, RunningService]:
    """Inventory, payment and shipping, each on its own port (0: a free one)."""
    ports = ports or {}
    factories = {"inventory": inventory, "payment": payment, "shipping": shipping}
    return {name: RunningService(make(), ports.get(name, 0)) for name, make in factories.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    for name, port in DEFAULT_PORTS.items():
        parser.add_argument(f"--{name}-port", type=int, default=port)
    args = parser.parse_args()
    shop = start_shop({name: getattr(args, f"{name}_port") for name in DEFAULT_PORTS})
    for name, running in shop.items():
        print(f"{name}: {running.url}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        for running in shop.values():
            running.stop()


if __name__ == "__main__":
    main()
