"""A tiny real HTTP server to stand behind port-forward when no Envoy is needed."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@contextmanager
def http_target(routes: dict[str, bytes]) -> Iterator[tuple[str, int]]:
    """Serve `routes` (path with query -> body, to GET and POST) over HTTP/1.1 keep-alive on 127.0.0.1; yields (host, port).

    Unknown paths answer 404 with the path in the body, like Envoy's admin does for unknown handlers.
    """

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            body = routes.get(self.path)
            code = 200 if body is not None else 404
            if body is None:
                body = f"invalid path: {self.path}\n".encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json" if body[:1] in (b"{", b"[") else "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_POST = do_GET  # Envoy's /logging answers POST only: same routes

        def log_message(self, format, *args):  # noqa: A002 - stdlib signature
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server.server_address[0], server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
