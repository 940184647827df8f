"""monitor.fetch against real servers on 127.0.0.1: the `site` fixture, plus tiny raw-socket servers
for what LocalSite cannot do (no Content-Length, a scripted sequence of answers, silence)."""

from __future__ import annotations

import asyncio
import codecs
import ipaddress
import socket
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import pytest

from monitor.config import HttpSettings
from monitor.errors import FetchError, PageGone, UsageError
from monitor.charset import decode_html
from monitor.fetch import Fetcher, is_blocked_address, validate_url
from monitor.localsite import LocalSite
from monitor.models import Page

T = TypeVar("T")

HTML = "<!doctype html><html><head><title>T</title></head><body><p>Hello, world.</p></body></html>"


def settings(**overrides: Any) -> HttpSettings:
    values: dict[str, Any] = {"allow_private_addresses": True, "retries": 0, "connect_timeout": 2.0, "read_timeout": 2.0}
    values.update(overrides)
    return HttpSettings(**values)


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def fetch(url: str, *, setup: Callable[[Fetcher], None] | None = None, **kwargs: Any) -> Page:
    """Fetch one URL with a fresh Fetcher; `kwargs` split into fetch() validators and settings."""
    validators = {key: kwargs.pop(key) for key in ("etag", "last_modified") if key in kwargs}

    async def go() -> Page:
        async with Fetcher(settings(**kwargs)) as fetcher:
            fetcher.retry_backoff = 0.01
            if setup:
                setup(fetcher)
            return await fetcher.fetch(url, **validators)

    return run(go())


def fetch_error(url: str, **kwargs: Any) -> FetchError:
    with pytest.raises(FetchError) as caught:
        fetch(url, **kwargs)
    return caught.value


class RawServer:
    """A one-thread HTTP server that answers each connection with the next scripted raw response."""

    def __init__(self, responses: list[bytes]) -> None:
        self.responses = list(responses)
        self.requests: list[bytes] = []
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.1)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._sock.getsockname()[1]}/page"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(5)
                request = b""
                while b"\r\n\r\n" not in request:
                    data = conn.recv(65536)
                    if not data:
                        break
                    request += data
                self.requests.append(request)
                if self.responses:
                    conn.sendall(self.responses.pop(0))

    def __enter__(self) -> RawServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._sock.close()


def raw_response(status: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    return f"HTTP/1.1 {status}\r\n{head}\r\n".encode("ascii") + body


# ------------------------------------------------------------------------------------------ success


def test_200_with_metadata(site: LocalSite) -> None:
    url = site.publish(
        "/article",
        HTML,
        etag='"v1"',
        headers={"Last-Modified": "Wed, 01 May 2024 10:00:00 GMT"},
    )
    page = fetch(url, user_agent="test-agent/1.0")
    assert page.status == 200
    assert page.url == url
    assert page.final_url == url
    assert page.html == HTML
    assert page.raw == HTML.encode("utf-8")
    assert page.encoding == "utf-8"
    assert page.etag == '"v1"'
    assert page.last_modified == "Wed, 01 May 2024 10:00:00 GMT"
    assert page.elapsed_ms > 0
    assert not page.not_modified
    sent = site.hits[-1].headers
    assert sent["User-Agent"] == "test-agent/1.0"
    assert "If-None-Match" not in sent and "If-Modified-Since" not in sent


def test_url_is_stripped(site: LocalSite) -> None:
    url = site.publish("/a", HTML)
    assert fetch(f"  {url}\n").url == url


def test_redirect_chain_records_final_url(site: LocalSite) -> None:
    site.publish("/old", status=301, headers={"Location": "/middle"})
    site.publish("/middle", status=302, headers={"Location": site.url("/dir/start")})
    site.publish("/dir/start", status=307, headers={"Location": "final?x=1"})  # relative to /dir/
    final = site.publish("/dir/final", HTML)
    page = fetch(site.url("/old"))
    assert page.status == 200
    assert page.url == site.url("/old")
    assert page.final_url == final + "?x=1"
    assert page.html == HTML
    assert [hit.path for hit in site.hits] == ["/old", "/middle", "/dir/start", "/dir/final?x=1"]


def test_too_many_redirects(site: LocalSite) -> None:
    url = site.publish("/loop", status=302, headers={"Location": "/loop"})
    error = fetch_error(url)
    assert error.reason == "too many redirects (more than 10)"
    assert len(site.hits) == 11


def test_redirect_to_non_web_scheme_refused(site: LocalSite) -> None:
    url = site.publish("/ftp", status=302, headers={"Location": "ftp://example.com/file"})
    assert "redirect to a non-web URL" in fetch_error(url).reason


# ------------------------------------------------------------------------------------ conditional


def test_304_with_if_none_match(site: LocalSite) -> None:
    url = site.publish("/a", HTML, etag='"abc"')
    page = fetch(url, etag='"abc"', last_modified="Wed, 01 May 2024 10:00:00 GMT")
    assert site.hits[-1].headers["If-None-Match"] == '"abc"'
    assert page.status == 304 and page.not_modified
    assert page.html is None
    assert page.raw == b""
    assert page.encoding is None
    assert page.etag == '"abc"'
    # The 304 did not repeat Last-Modified: the one sent is kept.
    assert page.last_modified == "Wed, 01 May 2024 10:00:00 GMT"


def test_etag_mismatch_gives_full_page(site: LocalSite) -> None:
    url = site.publish("/a", HTML, etag='"new"')
    page = fetch(url, etag='"old"')
    assert page.status == 200 and page.html == HTML and page.etag == '"new"'


def test_non_ascii_validator_not_sent(site: LocalSite) -> None:
    url = site.publish("/a", HTML, etag='"v1"')
    page = fetch(url, etag='"caf\u00e9"', last_modified="Wed, 01 May 2024 10:00:00 GMT")
    assert page.status == 200
    sent = site.hits[-1].headers
    assert "If-None-Match" not in sent
    assert sent["If-Modified-Since"] == "Wed, 01 May 2024 10:00:00 GMT"


def test_304_with_if_modified_since(site: LocalSite) -> None:
    # LocalSite answers If-Modified-Since only as scripted: a route that always says 304.
    url = site.publish("/lm", b"", status=304, content_type="")
    since = "Tue, 30 Apr 2024 08:00:00 GMT"
    page = fetch(url, last_modified=since)
    sent = site.hits[-1].headers
    assert sent["If-Modified-Since"] == since
    assert "If-None-Match" not in sent
    assert page.status == 304 and page.html is None and page.raw == b""
    assert page.last_modified == since
    assert page.etag is None


def test_304_repeating_validators_replaces_them(site: LocalSite) -> None:
    url = site.publish("/lm", b"", status=304, content_type="", headers={"ETag": '"fresh"', "Last-Modified": "Thu, 02 May 2024 00:00:00 GMT"})
    page = fetch(url, etag='"stale"', last_modified="Tue, 30 Apr 2024 08:00:00 GMT")
    assert page.etag == '"fresh"'
    assert page.last_modified == "Thu, 02 May 2024 00:00:00 GMT"


# --------------------------------------------------------------------------------------- statuses


@pytest.mark.parametrize("status", [404, 410])
def test_gone(site: LocalSite, status: int) -> None:
    url = site.publish("/gone", "<html>gone</html>", status=status)
    with pytest.raises(PageGone) as caught:
        fetch(url)
    assert caught.value.status == status
    assert caught.value.reason == f"gone (HTTP {status})"
    assert caught.value.url == url


def test_server_error(site: LocalSite) -> None:
    url = site.publish("/boom", "<html>oops</html>", status=500)
    error = fetch_error(url)
    assert not isinstance(error, PageGone)
    assert error.status == 500
    assert error.reason == "HTTP 500 Internal Server Error"


def test_503_is_retried_then_succeeds() -> None:
    answers = [
        raw_response("503 Service Unavailable", {"Retry-After": "0", "Content-Length": "0", "Connection": "close"}),
        raw_response("502 Bad Gateway", {"Content-Length": "0", "Connection": "close"}),
        raw_response("200 OK", {"Content-Type": "text/html; charset=utf-8", "Content-Length": str(len(HTML)), "Connection": "close"}, HTML.encode()),
    ]
    with RawServer(answers) as server:
        page = fetch(server.url, retries=2)
    assert page.status == 200 and page.html == HTML
    assert len(server.requests) == 3


def test_503_without_retries_left() -> None:
    answers = [raw_response("503 Service Unavailable", {"Content-Length": "0", "Connection": "close"})] * 2
    with RawServer(answers) as server:
        error = fetch_error(server.url, retries=1)
    assert error.status == 503
    assert error.reason == "HTTP 503 Service Unavailable"
    assert len(server.requests) == 2


def test_long_retry_after_is_not_waited_for() -> None:
    answers = [raw_response("503 Service Unavailable", {"Retry-After": "3600", "Content-Length": "0", "Connection": "close"})] * 3
    with RawServer(answers) as server:
        error = fetch_error(server.url, retries=2)
    assert error.status == 503
    assert len(server.requests) == 1


# ---------------------------------------------------------------------------------- content types


def test_pdf_refused(site: LocalSite) -> None:
    url = site.publish("/doc.pdf", b"%PDF-1.4 ...", content_type="application/pdf")
    error = fetch_error(url)
    assert error.reason == "not an HTML page (content type application/pdf)"


def test_xhtml_accepted(site: LocalSite) -> None:
    url = site.publish("/x", HTML, content_type="application/xhtml+xml; charset=utf-8")
    assert fetch(url).html == HTML


def test_missing_content_type_sniffed(site: LocalSite) -> None:
    html_url = site.publish("/html", "\n  " + HTML, content_type="")
    binary_url = site.publish("/bin", b"\x89PNG\r\n\x1a\n....", content_type="")
    assert fetch(html_url).html == "\n  " + HTML
    assert "not an HTML page" in fetch_error(binary_url).reason


# ------------------------------------------------------------------------------------------- size


def test_oversized_refused_by_content_length(site: LocalSite) -> None:
    url = site.publish("/big", b"<html>" + b"x" * 50_000, content_type="text/html")
    error = fetch_error(url, max_bytes=10_000)
    assert error.reason == "response larger than 10.0 kB"


def test_default_limit_message(site: LocalSite) -> None:
    url = site.publish("/big", b"<html>" + b"x" * 5_000_001, content_type="text/html")
    assert fetch_error(url).reason == "response larger than 5.0 MB"


def test_oversized_refused_while_streaming_without_content_length() -> None:
    body = b"<html>" + b"x" * 50_000
    answer = raw_response("200 OK", {"Content-Type": "text/html", "Connection": "close"}, body)
    with RawServer([answer]) as server:
        error = fetch_error(server.url, max_bytes=10_000)
    assert error.reason == "response larger than 10.0 kB"


def test_oversized_chunked_refused() -> None:
    chunk = b"x" * 8_000
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(7)) + b"0\r\n\r\n"
    answer = raw_response("200 OK", {"Content-Type": "text/html", "Transfer-Encoding": "chunked", "Connection": "close"}, chunks)
    with RawServer([answer]) as server:
        error = fetch_error(server.url, max_bytes=10_000)
    assert error.reason == "response larger than 10.0 kB"


def test_body_without_content_length_under_limit() -> None:
    answer = raw_response("200 OK", {"Content-Type": "text/html; charset=utf-8", "Connection": "close"}, HTML.encode())
    with RawServer([answer]) as server:
        assert fetch(server.url, max_bytes=10_000).html == HTML


# ---------------------------------------------------------------------------------------- charset

SMART = "\u201cQuoted\u201d \u2014 it\u2019s caf\u00e9"


def test_charset_from_header(site: LocalSite) -> None:
    body = f"<html><body><p>{SMART}</p></body></html>"
    url = site.publish("/w", body.encode("cp1252"), content_type="text/html; charset=windows-1252")
    page = fetch(url)
    assert SMART in page.html
    assert codecs.lookup(page.encoding).name == "cp1252"


def test_latin1_header_read_as_windows_1252(site: LocalSite) -> None:
    # Browsers read ISO-8859-1 as windows-1252; plain latin-1 would turn smart quotes into C1 controls.
    body = f"<html><body><p>{SMART}</p></body></html>"
    url = site.publish("/l", body.encode("cp1252"), content_type="text/html; charset=ISO-8859-1")
    assert SMART in fetch(url).html


def test_charset_from_meta(site: LocalSite) -> None:
    body = f'<html><head><meta charset="windows-1252"><title>t</title></head><body><p>{SMART}</p></body></html>'
    url = site.publish("/m", body.encode("cp1252"), content_type="text/html")
    page = fetch(url)
    assert SMART in page.html
    assert codecs.lookup(page.encoding).name == "cp1252"


def test_charset_from_http_equiv(site: LocalSite) -> None:
    body = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=iso-8859-15">'
        "</head><body><p>Prix : 5 \u20ac</p></body></html>"
    )
    url = site.publish("/e", body.encode("iso-8859-15"), content_type="text/html")
    page = fetch(url)
    assert "5 \u20ac" in page.html
    assert page.encoding == "iso8859-15"


def test_charset_from_bom(site: LocalSite) -> None:
    body = f"<html><body><p>{SMART}</p></body></html>"
    utf8_url = site.publish("/bom8", codecs.BOM_UTF8 + body.encode("utf-8"), content_type="text/html")
    utf16_url = site.publish("/bom16", codecs.BOM_UTF16_LE + body.encode("utf-16-le"), content_type="text/html")
    page8 = fetch(utf8_url)
    assert page8.html == body and page8.encoding == "utf-8"
    page16 = fetch(utf16_url)
    assert page16.html == body and page16.encoding == "utf-16-le"


def test_lying_header_does_not_crash(site: LocalSite) -> None:
    body = f"<html><body><p>{SMART}</p><p>{'More plain text here. ' * 20}</p></body></html>"
    url = site.publish("/lie", body.encode("cp1252"), content_type="text/html; charset=utf-8")
    page = fetch(url)
    assert page.raw == body.encode("cp1252")
    assert page.encoding != "utf-8"
    assert SMART in page.html and "More plain text here." in page.html
    assert "\ufffd" not in page.html


def test_lying_header_and_meta_fall_back_to_detection() -> None:
    body = f'<html><head><meta charset="utf-8"></head><body><p>{SMART}</p></body></html>'.encode("cp1252")
    html, encoding = decode_html(body, "utf-8")
    assert "Quoted" in html and encoding != "utf-8"


def test_unknown_charset_label_ignored() -> None:
    html, encoding = decode_html("<p>café</p>".encode(), "no-such-charset")
    assert html == "<p>café</p>" and encoding == "utf-8"


# ------------------------------------------------------------------------------------------ network


def _closed_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as sock:
        return sock.getsockname()[1]


def test_connection_refused() -> None:
    url = f"http://127.0.0.1:{_closed_port()}/"
    error = fetch_error(url)
    assert error.reason == "connection refused"
    assert error.url == url
    assert error.status is None


def test_read_timeout() -> None:
    # A listener that never accepts: the kernel completes the handshake, nobody ever answers.
    with socket.create_server(("127.0.0.1", 0)) as listener:
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/"
        error = fetch_error(url, read_timeout=0.2)
    assert error.reason == "timed out after 0.2 s"


def test_dns_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    real = socket.getaddrinfo

    def fake_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host in ("example.invalid", b"example.invalid"):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    # Resolved by the fetcher's own address check, and by httpx when private addresses are allowed.
    for allow in (False, True):
        error = fetch_error("http://example.invalid/page", allow_private_addresses=allow)
        assert error.reason == "cannot resolve host example.invalid"


def test_tls_error(site: LocalSite) -> None:
    url = site.publish("/a", HTML).replace("http://", "https://")
    assert fetch_error(url).reason.startswith("TLS error")


def test_connection_closed_without_answer() -> None:
    with RawServer([b""]) as server:
        error = fetch_error(server.url)
    assert error.reason.startswith("bad HTTP response")


# --------------------------------------------------------------------------------------------- URLs


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://example.com/a?b=1", "https://example.com/a?b=1"),
        ("  http://example.com/  ", "http://example.com/"),
        ("HTTP://Example.com/path", "HTTP://Example.com/path"),
        ("http://127.0.0.1:8080/x", "http://127.0.0.1:8080/x"),
    ],
)
def test_validate_url_accepts(given: str, expected: str) -> None:
    assert validate_url(given) == expected


@pytest.mark.parametrize("given", ["not-a-url", "ftp://x", "http://", "https:///path", "", "   ", "//example.com/a", "http://exa mple.com/", "http://x:notaport/"])
def test_validate_url_rejects(given: str) -> None:
    with pytest.raises(UsageError) as caught:
        validate_url(given)
    assert str(caught.value).startswith("not a URL: ")
    assert str(caught.value).endswith("(expected http:// or https://...)")


def test_validate_url_message() -> None:
    with pytest.raises(UsageError, match=r"^not a URL: 'x' \(expected http:// or https://\.\.\.\)$"):
        validate_url("x")


def test_fetch_bad_url_is_fetch_error() -> None:
    assert fetch_error("ftp://example.com/").reason == "not a URL (expected http:// or https://...)"


# ------------------------------------------------------------------------------------------- safety


@pytest.mark.parametrize(
    ("address", "blocked"),
    [
        ("127.0.0.1", True),
        ("10.1.2.3", True),
        ("172.16.0.1", True),
        ("192.168.1.1", True),
        ("169.254.169.254", True),
        ("100.64.0.1", True),
        ("0.0.0.0", True),
        ("224.0.0.1", True),
        ("240.0.0.1", True),
        ("::1", True),
        ("fe80::1", True),
        ("fc00::1", True),
        ("ff02::1", True),
        ("::ffff:127.0.0.1", True),
        ("93.184.216.34", False),
        ("8.8.8.8", False),
        ("2606:4700:4700::1111", False),
    ],
)
def test_is_blocked_address(address: str, blocked: bool) -> None:
    assert is_blocked_address(ipaddress.ip_address(address)) is blocked


def test_private_literal_address_refused(site: LocalSite) -> None:
    url = site.publish("/a", HTML)
    error = fetch_error(url, allow_private_addresses=False)
    assert error.reason == "refusing to fetch private address 127.0.0.1 (set http.allow_private_addresses = true to allow)"
    assert site.hits == []


def test_private_resolved_address_refused(site: LocalSite) -> None:
    url = site.publish("/a", HTML).replace("127.0.0.1", "localhost")
    error = fetch_error(url, allow_private_addresses=False)
    assert error.reason.startswith("refusing to fetch private address ")
    assert site.hits == []


def _fake_resolver(table: dict[str, str], calls: list[str]) -> Callable[[Fetcher], None]:
    """Make the fetcher's address check see `table` (host -> address) while httpx connects for real."""

    def setup(fetcher: Fetcher) -> None:
        async def resolve(url: str, target: Any) -> list[Any]:
            calls.append(target.host)
            return [ipaddress.ip_address(table[target.host])]

        fetcher._resolve = resolve  # type: ignore[method-assign]

    return setup


def test_redirect_to_private_literal_refused(site: LocalSite) -> None:
    site.publish("/secret", "internal")
    site.publish("/hop", status=302, headers={"Location": site.url("/secret")})
    start = site.url("/hop").replace("127.0.0.1", "localhost")
    calls: list[str] = []
    with pytest.raises(FetchError) as caught:
        fetch(start, allow_private_addresses=False, setup=_fake_resolver({"localhost": "93.184.216.34"}, calls))
    assert "refusing to fetch private address 127.0.0.1" in caught.value.reason
    assert caught.value.url == start
    assert [hit.path for hit in site.hits] == ["/hop"]


def test_redirect_to_host_resolving_private_refused(site: LocalSite) -> None:
    port = site.base_url.rsplit(":", 1)[1]
    site.publish("/hop", status=301, headers={"Location": f"http://intranet.test:{port}/admin"})
    start = site.url("/hop").replace("127.0.0.1", "localhost")
    calls: list[str] = []
    table = {"localhost": "93.184.216.34", "intranet.test": "10.0.0.5"}
    with pytest.raises(FetchError) as caught:
        fetch(start, allow_private_addresses=False, setup=_fake_resolver(table, calls))
    assert "refusing to fetch private address 10.0.0.5" in caught.value.reason
    assert calls == ["localhost", "intranet.test"]
    assert [hit.path for hit in site.hits] == ["/hop"]


def test_public_resolution_is_fetched_and_cached(site: LocalSite) -> None:
    url = site.publish("/a", HTML).replace("127.0.0.1", "localhost")
    calls: list[str] = []

    async def go() -> list[Page]:
        async with Fetcher(settings(allow_private_addresses=False)) as fetcher:
            _fake_resolver({"localhost": "93.184.216.34"}, calls)(fetcher)
            return [await fetcher.fetch(url) for _ in range(3)]

    pages = run(go())
    assert all(page.html == HTML for page in pages)
    assert calls == ["localhost"]


# -------------------------------------------------------------------------------------- concurrency


def test_per_host_concurrency_bound(site: LocalSite) -> None:
    limit = 2
    lock = threading.Lock()
    active = 0
    peak = 0
    # Requests pass in pairs: this proves `limit` requests did run at once (a lower bound would hang
    # the barrier until its timeout and fail the fetch), while the counter checks the upper bound.
    pair = threading.Barrier(limit, timeout=5)
    linger = threading.Event()  # never set: holds each request briefly so overlaps would be seen

    def render() -> bytes:
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
        try:
            pair.wait()
            linger.wait(0.02)
        finally:
            with lock:
                active -= 1
        return HTML.encode()

    url = site.publish("/slow", render)

    async def go() -> list[Page]:
        async with Fetcher(settings(concurrency=8, per_host_concurrency=limit)) as fetcher:
            return await asyncio.gather(*(fetcher.fetch(url) for _ in range(6)))

    pages = run(go())
    assert all(page.html == HTML for page in pages)
    assert peak == limit
    assert len(site.hits) == 6


def test_global_concurrency_bound(site: LocalSite) -> None:
    lock = threading.Lock()
    active = 0
    peak = 0
    linger = threading.Event()

    def render() -> bytes:
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
        linger.wait(0.02)
        with lock:
            active -= 1
        return HTML.encode()

    site.publish("/slow", render)
    # Two host names for the same server: per-host bound 2 each, global bound 3.
    urls = [site.url("/slow"), site.url("/slow").replace("127.0.0.1", "localhost")] * 4

    async def go() -> list[Page]:
        async with Fetcher(settings(concurrency=3, per_host_concurrency=2)) as fetcher:
            return await asyncio.gather(*(fetcher.fetch(url) for url in urls))

    assert all(page.html == HTML for page in run(go()))
    assert peak <= 3
