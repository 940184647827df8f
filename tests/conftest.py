"""Shared fixtures: a real HTTP site, a real SMTP server and a real webhook receiver, all on 127.0.0.1,
and paths to the shared third-party data."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from monitor.localsite import LocalSite

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture
def site() -> Iterator[LocalSite]:
    """A local web site whose pages a test publishes and edits."""
    with LocalSite() as running:
        yield running


@pytest.fixture
def shared_dir() -> Path:
    """`../shared` beside the checkout; tests that need it skip where it is absent."""
    if not SHARED.is_dir():
        pytest.skip("../shared is absent (it holds third-party data; CI has it)")
    return SHARED


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (at the moment of asking)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def unused_port() -> int:
    """A port on 127.0.0.1 that nothing listens on: a connection to it is refused."""
    return free_port()


# --------------------------------------------------------------------------- SMTP server (aiosmtpd)

SMTP_LOGIN = ("monitor", "s3cret-pw")  # the one login an SMTP server started with auth=True accepts


class Recorder:
    """An aiosmtpd handler that keeps every message it is given."""

    def __init__(self) -> None:
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's naming
        self.envelopes.append(envelope)
        return "250 OK"

    def message(self, index: int = -1) -> email.message.EmailMessage:
        return email.message_from_bytes(self.envelopes[index].content, policy=email.policy.default)  # type: ignore[return-value]

    def messages(self) -> list[email.message.EmailMessage]:
        return [self.message(index) for index in range(len(self.envelopes))]


class SmtpServer:
    """An aiosmtpd SMTP server on 127.0.0.1 that records every message (`recorder`) and login (`logins`).

    `stop()` and `start()` again keep the port and the messages received so far: an outage.
    Keyword arguments go to aiosmtpd's SMTP; `auth=True` accepts the login `SMTP_LOGIN` only.
    """

    def __init__(self, port: int | None = None, **smtp_kwargs: Any) -> None:
        self.port = port or free_port()
        self.recorder = Recorder()
        self.logins: list[tuple[str, str]] = []
        if smtp_kwargs.pop("auth", False):
            smtp_kwargs.update(authenticator=self._authenticate, auth_require_tls=False)
        self._kwargs = smtp_kwargs
        self._controller: Controller | None = None

    def _authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        if not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login, password = data.login.decode(), data.password.decode()
        self.logins.append((login, password))
        return AuthResult(success=(login, password) == SMTP_LOGIN, handled=False)

    @property
    def running(self) -> bool:
        return self._controller is not None

    def start(self) -> SmtpServer:
        controller = Controller(self.recorder, hostname="127.0.0.1", port=self.port, **self._kwargs)
        controller.start()
        self._controller = controller
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@contextmanager
def _running_smtp(**smtp_kwargs: Any) -> Iterator[SmtpServer]:
    server = SmtpServer(**smtp_kwargs).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def smtp_server() -> Callable[..., AbstractContextManager[SmtpServer]]:
    """Start an SMTP server with options: `with smtp_server(auth=True, auth_required=True) as server:`."""
    return _running_smtp


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """A plain SMTP server on 127.0.0.1 that accepts every message."""
    with _running_smtp() as server:
        yield server


# --------------------------------------------------------------------------- webhook receiver


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class WebhookReceiver:
    """A POST receiver on 127.0.0.1 that records requests and answers `status`; with `hold` set
    it waits for `release` before answering (to make a client time out)."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.status = 204
        self.hold = False
        self.release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 - the stdlib's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append(Received("POST", self.path, dict(self.headers.items()), body))
                if receiver.hold:
                    receiver.release.wait(10)
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's signature
                """Quiet."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def url(self, path: str = "/hook/T000/SECRET-TOKEN") -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}{path}"

    def received(self, path: str | None = None) -> list[Received]:
        """The requests received so far, on `path` only when given."""
        return [request for request in list(self.requests) if path is None or request.path == path]


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    """A webhook receiver on 127.0.0.1 answering 204 to every POST."""
    running = WebhookReceiver()
    running.thread.start()
    try:
        yield running
    finally:
        running.release.set()
        running.server.shutdown()
        running.server.server_close()
        running.thread.join(timeout=5)
