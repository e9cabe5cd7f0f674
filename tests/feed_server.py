"""A loopback web server for the feed tests: each path answers as the test says (a feed with validators,
an error, a sleep, a drip, an endless body, a redirect, a compressed body), and every request is kept with its headers.

    with FeedServer() as server:
        server.feed("/rss.xml", RSS, etag='"v1"')
        result = fetch_feed(server.url("/rss.xml"), client=client)
        assert server.requests[0]["if-none-match"] is None

The client hanging up mid-body is what these tests provoke: the server ignores it.
HTTP/1.0 (the standard library's default): a body without Content-Length ends when the connection
closes, so an endless body needs no chunked encoding.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self
from urllib.parse import urlsplit

Route = Callable[[BaseHTTPRequestHandler], None]
RSS_TYPE = "application/rss+xml; charset=utf-8"
ATOM_TYPE = "application/atom+xml; charset=utf-8"


class FeedServer:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[dict[str, str | None]] = []  # path, if-none-match, if-modified-since, user-agent
        self.sent: dict[str, int] = {}  # body bytes written per path (the endless bodies)
        self.stopping = threading.Event()  # ends the sleeps and drips when the test is over
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # -- control --------------------------------------------------------------------------------

    def url(self, path: str) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}{path}"

    def route(self, path: str, answer: Route) -> None:
        self.routes[path] = answer

    def feed(self, path: str, body: str | bytes, *, content_type: str = RSS_TYPE, etag: str | None = None,
             last_modified: str | None = None, encoding: str | None = None) -> None:
        """Serve `body` at `path`, answering 304 to a request carrying its validators (either one).
        `encoding`: the Content-Encoding header, `body` being already encoded so."""
        data = body.encode() if isinstance(body, str) else body

        def answer(handler: BaseHTTPRequestHandler) -> None:
            if (etag and handler.headers.get("If-None-Match") == etag) or (
                    last_modified and handler.headers.get("If-Modified-Since") == last_modified):
                send(handler, 304, b"", etag=etag, last_modified=last_modified)
            else:
                send(handler, 200, data, content_type=content_type, etag=etag, last_modified=last_modified,
                     encoding=encoding)

        self.route(path, answer)

    def status(self, path: str, code: int, body: bytes = "<html><body>Lỗi máy chủ</body></html>".encode()) -> None:
        self.route(path, lambda handler: send(handler, code, body, content_type="text/html; charset=utf-8"))

    def redirect(self, path: str, to: str, code: int = 302) -> None:
        self.route(path, lambda handler: send(handler, code, b"", location=to))

    def sleep(self, path: str, seconds: float, body: bytes) -> None:
        """Answer only after `seconds` (a server that hangs before its headers)."""

        def answer(handler: BaseHTTPRequestHandler) -> None:
            if not self.stopping.wait(seconds):
                send(handler, 200, body)

        self.route(path, answer)

    def drip(self, path: str, every: float, prefix: bytes = b'<?xml version="1.0"?><rss version="2.0"><channel>') -> None:
        """Headers at once, then one byte every `every` seconds, for as long as the client listens."""

        def answer(handler: BaseHTTPRequestHandler) -> None:
            handler.send_response(200)
            handler.send_header("Content-Type", RSS_TYPE)
            handler.end_headers()
            with contextlib.suppress(ConnectionError):
                handler.wfile.write(prefix)
                handler.wfile.flush()
                while not self.stopping.wait(every):
                    handler.wfile.write(b" ")
                    handler.wfile.flush()

        self.route(path, answer)

    def endless(self, path: str, size: int, *, declared: bool) -> None:
        """A body of `size` bytes, made while it is sent (never held whole): RSS items, over and over.
        `declared`: with its Content-Length, else ended by closing the connection."""
        head = '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Nguồn lớn</title>'.encode()
        item = "<item><title>Tin rác</title><link>https://x.vn/a</link></item>".encode() * 1000

        def answer(handler: BaseHTTPRequestHandler) -> None:
            handler.send_response(200)
            handler.send_header("Content-Type", RSS_TYPE)
            if declared:
                handler.send_header("Content-Length", str(size))
            handler.end_headers()
            written = 0
            with contextlib.suppress(ConnectionError):
                handler.wfile.write(head)
                written = len(head)
                while written < size and not self.stopping.is_set():
                    chunk = item[: size - written]
                    handler.wfile.write(chunk)
                    written += len(chunk)
                    with self._lock:
                        self.sent[path] = written

        self.sent[path] = 0
        self.route(path, answer)

    # -- lifecycle ------------------------------------------------------------------------------

    def __enter__(self) -> Self:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = urlsplit(self.path).path
                with server._lock:
                    server.requests.append({
                        "path": path, "if-none-match": self.headers.get("If-None-Match"),
                        "if-modified-since": self.headers.get("If-Modified-Since"),
                        "user-agent": self.headers.get("User-Agent"),
                    })
                answer = server.routes.get(path)
                if answer is None:
                    send(self, 404, b"not found")
                else:
                    answer(self)

            def log_message(self, format: str, *args: object) -> None:  # quiet: pytest shows failures
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()

    def requests_to(self, path: str) -> list[dict[str, str | None]]:
        with self._lock:
            return [r for r in self.requests if r["path"] == path]


def send(handler: BaseHTTPRequestHandler, code: int, body: bytes, *, content_type: str = RSS_TYPE,
         etag: str | None = None, last_modified: str | None = None, location: str | None = None,
         encoding: str | None = None) -> None:
    handler.send_response(code)
    if code != 304:
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
    for name, value in (("ETag", etag), ("Last-Modified", last_modified), ("Location", location),
                        ("Content-Encoding", encoding)):
        if value:
            handler.send_header(name, value)
    handler.end_headers()
    with contextlib.suppress(ConnectionError):
        handler.wfile.write(body)
