"""A small web site served from memory on 127.0.0.1, for the demo, the tests and the benchmarks.

Pages can be replaced while the server runs (that is how an "edit" is published), can render
afresh on every request (to add noise such as "updated 3 minutes ago"), and can carry an ETag that
the server honours with 304 Not Modified.

For fault injection a `hook` (given to the constructor or set on `site.hook`) sees every request
first and may return a `Reply` to answer differently: another status, headers and body (a 503 with
`Retry-After`), and/or a `delay` before answering (a slow server). Returning None, or a `Reply`
whose `status` is None, answers as the route says (after the delay).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

Body = bytes | Callable[[], bytes]


@dataclass
class Route:
    """What the site answers for one path."""

    body: Body = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None

    def render(self) -> bytes:
        return self.body() if callable(self.body) else self.body


@dataclass(frozen=True)
class Hit:
    """One request the site received, kept so that tests can assert what a client sent."""

    method: str
    path: str
    headers: dict[str, str]


@dataclass(frozen=True)
class Reply:
    """A hook's answer to one request: `status` None answers as the route says, after `delay` seconds;
    otherwise the site answers `status` with `headers` and `body` instead of the route."""

    status: int | None = None
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str | None = "text/html; charset=utf-8"
    delay: float = 0.0


Hook = Callable[[Hit], Reply | None]


class LocalSite:
    """An HTTP/1.1 server on 127.0.0.1 with an ephemeral port; use as a context manager."""

    def __init__(self, hook: Hook | None = None) -> None:
        self._routes: dict[str, Route] = {}
        self._lock = threading.Lock()
        self.hits: list[Hit] = []
        self.hook = hook  # decides each response first (fault injection); see the module's docstring
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="local-site", daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def publish(self, path: str, body: Body | str = b"", **route: object) -> str:
        """Serve `body` at `path` from now on; returns the page's full URL."""
        if isinstance(body, str):
            body = body.encode("utf-8")
        with self._lock:
            self._routes[path] = Route(body=body, **route)  # type: ignore[arg-type]
        return self.url(path)

    def route(self, path: str) -> Route | None:
        with self._lock:
            return self._routes.get(path)

    def record(self, hit: Hit) -> None:
        with self._lock:
            self.hits.append(hit)

    def start(self) -> LocalSite:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> LocalSite:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()


def _handler_for(site: LocalSite) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 - the stdlib's naming
            hit = Hit("GET", self.path, dict(self.headers.items()))
            site.record(hit)
            hook = site.hook
            reply = hook(hit) if hook is not None else None
            if reply is not None:
                if reply.delay > 0:
                    time.sleep(reply.delay)
                if reply.status is not None:
                    self._answer(reply.status, reply.body, reply.content_type, reply.headers)
                    return
            route = site.route(self.path.split("?", 1)[0])
            if route is None:
                self._answer(404, b"<html><body><h1>Not found</h1></body></html>", "text/html")
                return
            if route.etag and self.headers.get("If-None-Match") == route.etag:
                self._answer(304, b"", None, {"ETag": route.etag})
                return
            headers = dict(route.headers)
            if route.etag:
                headers["ETag"] = route.etag
            self._answer(route.status, route.render(), route.content_type, headers)

        def _answer(self, status: int, body: bytes, content_type: str | None, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            if content_type:
                self.send_header("Content-Type", content_type)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if body:
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True  # the client hung up, e.g. on a size cap

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's signature
            """Silence the default access log on stderr."""

    return Handler
