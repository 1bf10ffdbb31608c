"""Doors between the bot and Rasa for tests of readiness and outages.

`TcpProxy` passes bytes to a real server until `cut()` (a Rasa that goes down after start);
`loaded_but_failing_rasa` is an HTTP server that says "model loaded" and answers every message
with HTTP 500 (a Rasa whose action server is broken), for tests that run without the stack.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class TcpProxy:
    """Listens on `port` (default: a free one); forwards each connection to 127.0.0.1:`target`."""

    def __init__(self, target: int, *, port: int = 0) -> None:
        self.target = target
        self._listener = socket.create_server(("127.0.0.1", port))
        self.port = self._listener.getsockname()[1]
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._cut = False
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target), timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                if self._cut:
                    client.close()
                    upstream.close()
                    return
                self._open |= {client, upstream}
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        with suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        with suppress(OSError):
            sink.shutdown(socket.SHUT_WR)

    def cut(self) -> None:
        """Rasa is gone: refuse new connections and drop the open ones."""
        with self._lock:
            self._cut = True
            for sock in self._open:
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
        self._listener.close()


class _LoadedButFailing(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # as `rasa run` without --enable-api: only "/" is served
        # ... and, standing in for the action server too, a healthy /health.
        found = self.path in ("/", "/health")
        body = b"Hello from Rasa: 3.6.21" if found else b"not found"
        self.send_response(200 if found else 404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(500)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def loaded_but_failing_rasa() -> Iterator[str]:
    """The URL of a "Rasa" that is up (so the bot starts) and fails every message; it also
    answers /health as a healthy action server (pass it as both)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _LoadedButFailing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
