"""A TCP proxy in front of a real server that a test can cut and restore: the network
between Baton and its PostgreSQL going away, without stopping the machine's PostgreSQL
(which other tests use at the same time).

``cut()`` closes every connection through it and refuses new ones (connection refused, as
a stopped server); ``restore()`` accepts again.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading


class NetCut:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self._lock = threading.Lock()
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._listener: socket.socket | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- control ---------------------------------------------------------------------------
    def start(self) -> NetCut:
        self._listen()
        return self

    def cut(self) -> None:
        """Close every connection and stop listening: new connections are refused."""
        with self._lock:
            listener, self._listener = self._listener, None
            pairs, self._pairs = self._pairs, []
        if listener is not None:
            listener.close()
        for a, b in pairs:
            for sock in (a, b):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
        if self._thread is not None:
            self._stop.set()
            self._thread.join(timeout=5)
            self._thread = None

    def restore(self) -> None:
        self._listen()

    def close(self) -> None:
        self.cut()

    # -- the proxy -------------------------------------------------------------------------
    def _listen(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        listener.setblocking(False)
        with self._lock:
            self._listener = listener
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, args=(listener, self._stop))
        self._thread.daemon = True
        self._thread.start()

    def _serve(self, listener: socket.socket, stop: threading.Event) -> None:
        selector = selectors.DefaultSelector()
        peers: dict[socket.socket, socket.socket] = {}
        try:
            # Inside the try: a cut right after restore may close the listener first.
            selector.register(listener, selectors.EVENT_READ, None)
            while not stop.is_set():
                for key, _ in selector.select(timeout=0.1):
                    sock = key.fileobj
                    assert isinstance(sock, socket.socket)
                    if sock is listener:
                        self._accept(listener, selector, peers)
                    else:
                        self._forward(sock, selector, peers)
        except (OSError, ValueError):
            pass  # cut: the sockets were closed under us
        finally:
            selector.close()

    def _accept(self, listener, selector, peers) -> None:  # type: ignore[no-untyped-def]
        try:
            client, _ = listener.accept()
        except (BlockingIOError, OSError):
            return
        try:
            server = socket.create_connection(self.target, timeout=5)
        except OSError:
            client.close()
            return
        for sock in (client, server):
            sock.setblocking(False)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            selector.register(sock, selectors.EVENT_READ, None)
        peers[client], peers[server] = server, client
        with self._lock:
            self._pairs.append((client, server))

    def _forward(self, sock, selector, peers) -> None:  # type: ignore[no-untyped-def]
        other = peers.get(sock)
        try:
            data = sock.recv(65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data or other is None:
            for end in (sock, other):
                if end is not None:
                    with contextlib.suppress(KeyError, ValueError):
                        selector.unregister(end)
                    peers.pop(end, None)
                    end.close()
            return
        other.setblocking(True)
        try:
            other.sendall(data)
        finally:
            other.setblocking(False)
