"""A small feed server on loopback, for the demo and for tests: documents in memory, ETag and
Last-Modified honoured so a poll of an unchanged feed costs a 304, documents replaceable while it runs.
"""

from __future__ import annotations

import hashlib
import threading
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FeedServer:
    """Serves ``path -> bytes`` on 127.0.0.1; ``put`` changes a document, ``url`` gives its address."""

    def __init__(self, documents: dict[str, bytes] | None = None, content_type: str = "application/rss+xml"):
        self._docs: dict[str, tuple[bytes, str, str]] = {}
        self._lock = threading.Lock()
        self.content_type = content_type
        self.requests: list[tuple[str, int]] = []
        for path, body in (documents or {}).items():
            self.put(path, body)
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 - the name http.server looks for
                with server._lock:
                    doc = server._docs.get(self.path)
                if doc is None:
                    self._answer(404, b"not found", {})
                    return
                body, etag, modified = doc
                if self.headers.get("If-None-Match") == etag:
                    self._answer(304, b"", {"ETag": etag, "Last-Modified": modified})
                    return
                self._answer(200, body, {"ETag": etag, "Last-Modified": modified, "Content-Type": server.content_type})

            def _answer(self, status: int, body: bytes, headers: dict[str, str]) -> None:
                with server._lock:
                    server.requests.append((self.path, status))
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if body:
                    self.wfile.write(body)

            def log_message(self, *args: object) -> None:  # keep test and demo output clean
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    def put(self, path: str, body: bytes) -> None:
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        with self._lock:
            self._docs[path] = (body, etag, formatdate(usegmt=True))

    def url(self, path: str) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}{path}"

    def start(self) -> FeedServer:
        self._thread = threading.Thread(target=self._server.serve_forever, name="feedserver", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FeedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
