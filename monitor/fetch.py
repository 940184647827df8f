"""Fetch article pages over HTTP: politely (bounded concurrency, retries with back-off, conditional
GET) and safely (size cap, HTML only, no private addresses unless allowed).

Every failure leaves this module as a `FetchError` (or `PageGone` for 404/410) with a short reason
that is stable enough to record on a check; no httpx exception escapes.

Redirects are followed by hand rather than by httpx so that every hop is checked against the
private-address rule before it is requested and so that a redirect's body is never read.
"""

from __future__ import annotations

import asyncio
import codecs
import email.utils
import ipaddress
import re
import socket
import ssl
import time
from dataclasses import replace
from collections.abc import Iterator
from types import TracebackType

import httpx

from monitor.charset import decode_html
from monitor.config import HttpSettings
from monitor.errors import FetchError, PageGone, UsageError
from monitor.models import Page

__all__ = ["Fetcher", "is_blocked_address", "validate_url"]

MAX_REDIRECTS = 10
# A Retry-After longer than this is not waited for: the attempt fails at once instead.
MAX_RETRY_AFTER = 5.0
# How long a host's address check is trusted before it is resolved again.
RESOLVE_TTL = 60.0

_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_RETRY_STATUSES = frozenset({502, 503, 504})
_GONE_STATUSES = frozenset({404, 410})
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


# --------------------------------------------------------------------------------------------- URLs


def validate_url(url: str) -> str:
    """Return the URL stripped; raise `UsageError` for anything not an absolute http(s) URL with a host."""
    stripped = url.strip() if isinstance(url, str) else ""
    if _parse(stripped) is None:
        raise UsageError(f"not a URL: {(stripped or url)!r} (expected http:// or https://...)")
    return stripped


def _parse(url: str) -> httpx.URL | None:
    """The parsed URL when it is an absolute http(s) URL with a valid host, else None."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError):
        return None
    if parsed.scheme not in ("http", "https") or not _valid_host(parsed.raw_host):
        return None
    return parsed


_HOST_NAME = re.compile(rb"[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*\.?")


def _valid_host(raw_host: bytes) -> bool:
    """A DNS name (IDNA-encoded by httpx) or an IP literal; rejects empty hosts and stray characters."""
    if _HOST_NAME.fullmatch(raw_host):
        return True
    try:
        ipaddress.ip_address(raw_host.decode("ascii"))
    except ValueError:
        return False
    return True


# ---------------------------------------------------------------------------------------- addresses


def is_blocked_address(ip: IPAddress) -> bool:
    """True for addresses a page must not be fetched from: private, loopback, link-local, reserved,
    multicast, unspecified, shared (CGNAT) and anything else that is not globally routable.
    An IPv4-mapped IPv6 address is judged by its IPv4 address."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_multicast
        or ip.is_unspecified
        or not ip.is_global
    )


def _private_reason(ip: IPAddress) -> str:
    return f"refusing to fetch private address {ip} (set http.allow_private_addresses = true to allow)"


# ----------------------------------------------------------------------------------- content type

_LOOKS_HTML = re.compile(
    rb"\s*<(?:!doctype\s+html|html|head|body|meta|title|script|style|iframe|h1|div|font|table|a|b|br|p|!--)[\s>/]",
    re.IGNORECASE,
)


def _header_charset(content_type: str) -> str | None:
    for param in content_type.split(";")[1:]:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            return value.strip().strip("\"'") or None
    return None


def looks_like_html(raw: bytes) -> bool:
    """True when a body without a content type starts like an HTML document."""
    return _LOOKS_HTML.match(raw[:1024].removeprefix(codecs.BOM_UTF8)) is not None


# ------------------------------------------------------------------------------------------- errors


def _size(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f} MB"
    if n >= 1_000:
        return f"{n / 1_000:.1f} kB"
    return f"{n} bytes"


def _seconds(value: float | None) -> str:
    return f"{value:g} s" if value is not None else "the time limit"


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception, its causes and contexts, and the members of any exception group among them."""
    seen: set[int] = set()
    stack = [exc]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        if isinstance(current, BaseExceptionGroup):
            stack.extend(current.exceptions)
        for linked in (current.__cause__, current.__context__):
            if linked is not None:
                stack.append(linked)


class _Transient(Exception):
    """An attempt failed in a way that another attempt may fix; carries the error to raise if not."""

    def __init__(self, error: FetchError, retry_after: float | None = None) -> None:
        super().__init__(error.reason)
        self.error = error
        self.retry_after = retry_after


def _network_error(url: str, exc: Exception, settings: HttpSettings, host: str) -> Exception:
    """Turn an httpx exception into a FetchError, wrapped in `_Transient` when a retry may help."""
    if isinstance(exc, httpx.ConnectTimeout):
        return _Transient(FetchError(url, f"connection timed out after {_seconds(settings.connect_timeout)}"))
    if isinstance(exc, httpx.PoolTimeout):
        return _Transient(FetchError(url, f"timed out after {_seconds(settings.connect_timeout)} waiting for a connection"))
    if isinstance(exc, httpx.TimeoutException):
        return _Transient(FetchError(url, f"timed out after {_seconds(settings.read_timeout)}"))
    if isinstance(exc, httpx.DecodingError):
        return FetchError(url, "cannot decode the response (bad content encoding)")
    if isinstance(exc, httpx.InvalidURL):
        return FetchError(url, f"invalid URL ({exc})")
    for cause in _causes(exc):
        if isinstance(cause, ssl.SSLCertVerificationError):
            return FetchError(url, f"TLS certificate error: {cause.verify_message or cause.reason}")
        if isinstance(cause, ssl.SSLError):
            return FetchError(url, f"TLS error: {(cause.reason or str(cause)).replace('_', ' ').lower()}")
        if isinstance(cause, socket.gaierror):
            error = FetchError(url, f"cannot resolve host {host}")
            return _Transient(error) if cause.errno == socket.EAI_AGAIN else error
        if isinstance(cause, ConnectionRefusedError):
            return _Transient(FetchError(url, "connection refused"))
        if isinstance(cause, ConnectionResetError):
            return _Transient(FetchError(url, "connection reset by the server"))
    if isinstance(exc, httpx.RemoteProtocolError):
        text = str(exc).rstrip(".") or "protocol error"
        return _Transient(FetchError(url, f"bad HTTP response: {text[0].lower()}{text[1:]}"))
    if isinstance(exc, httpx.ConnectError):
        return _Transient(FetchError(url, f"cannot connect: {exc or type(exc).__name__}"))
    if isinstance(exc, httpx.TransportError):
        return _Transient(FetchError(url, f"network error: {exc or type(exc).__name__}"))
    return FetchError(url, f"HTTP error: {exc or type(exc).__name__}")


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - time.time())


# ------------------------------------------------------------------------------------------ fetcher


class Fetcher:
    """One httpx.AsyncClient shared by all checks, with a global and a per-host concurrency bound."""

    # Back-off before retry n (0-based) is retry_backoff * 2**n; tests make it tiny.
    retry_backoff = 0.5

    def __init__(self, settings: HttpSettings) -> None:
        self.settings = settings
        self._client = httpx.AsyncClient(
            headers={"User-Agent": settings.user_agent, "Accept": _ACCEPT},
            timeout=httpx.Timeout(
                connect=settings.connect_timeout,
                read=settings.read_timeout,
                write=settings.read_timeout,
                pool=settings.connect_timeout,
            ),
            limits=httpx.Limits(
                max_connections=settings.concurrency,
                max_keepalive_connections=settings.concurrency,
            ),
            follow_redirects=False,
        )
        self._global = asyncio.Semaphore(settings.concurrency)
        self._per_host: dict[str, asyncio.Semaphore] = {}
        # host -> (expiry on the monotonic clock, first blocked address or None when all are public)
        self._address_cache: dict[str, tuple[float, IPAddress | None]] = {}
        # host -> monotonic time before which no request may start (per-host delay, Retry-After)
        self._host_ready: dict[str, float] = {}

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def fetch(self, url: str, *, etag: str | None = None, last_modified: str | None = None) -> Page:
        """Fetch one page; 304 gives a Page with `html=None`. Raises FetchError / PageGone."""
        entered = time.perf_counter()
        url = url.strip() if isinstance(url, str) else url
        parsed = _parse(url)
        if parsed is None:
            raise FetchError(str(url), "not a URL (expected http:// or https://...)")
        headers: dict[str, str] = {}
        # A validator that cannot go into a header as it is (non-ASCII) is not sent: a full GET is safe.
        if etag and etag.isascii():
            headers["If-None-Match"] = etag
        if last_modified and last_modified.isascii():
            headers["If-Modified-Since"] = last_modified
        host = parsed.host
        host_slot = self._per_host.get(host)
        if host_slot is None:
            host_slot = self._per_host[host] = asyncio.Semaphore(self.settings.per_host_concurrency)
        try:
            return await self._attempts(url, parsed, host, host_slot, headers, etag, last_modified, entered)
        except FetchError as error:
            if error.retry_after:  # the host asked every client to wait: so do all our checks of it
                self._host_ready[host] = time.monotonic() + error.retry_after
            raise

    async def _attempts(
        self,
        url: str,
        parsed: httpx.URL,
        host: str,
        host_slot: asyncio.Semaphore,
        headers: dict[str, str],
        etag: str | None,
        last_modified: str | None,
        entered: float,
    ) -> Page:
        attempt = 0
        while True:
            try:
                # Host slot first, and the host's turn, so that waiting for a host never holds a global slot.
                async with host_slot:
                    await self._wait_turn(host)
                    async with self._global:
                        queued_ms = (time.perf_counter() - entered) * 1000  # waiting for the bounds
                        return replace(await self._attempt(url, parsed, headers, etag, last_modified), queued_ms=queued_ms)
            except _Transient as transient:
                delay = transient.retry_after
                if attempt >= self.settings.retries or (delay is not None and delay > MAX_RETRY_AFTER):
                    raise transient.error from transient.__cause__
                if delay is None:
                    delay = self.retry_backoff * (2**attempt)
                attempt += 1
            await asyncio.sleep(delay)

    async def _wait_turn(self, host: str) -> None:
        """Keep `per_host_delay` between requests to one host, and any Retry-After it asked for."""
        now = time.monotonic()
        start = max(now, self._host_ready.get(host, 0.0))
        self._host_ready[host] = start + self.settings.per_host_delay
        if start > now:
            await asyncio.sleep(start - now)

    # ----------------------------------------------------------------------------------- internals

    async def _attempt(
        self, url: str, current: httpx.URL, headers: dict[str, str], etag: str | None, last_modified: str | None
    ) -> Page:
        started = time.perf_counter()
        try:
            for _hop in range(MAX_REDIRECTS + 1):
                if not self.settings.allow_private_addresses:
                    await self._check_address(url, current)
                request = self._client.build_request("GET", current, headers=headers)
                response = await self._client.send(request, stream=True)
                try:
                    if response.status_code in _REDIRECT_STATUSES:
                        location = response.headers.get("Location")
                        if location:
                            current = self._next_hop(url, current, location)
                            continue
                    return await self._page(url, response, etag, last_modified, started)
                finally:
                    await response.aclose()
            raise FetchError(url, f"too many redirects (more than {MAX_REDIRECTS})")
        except (FetchError, _Transient):
            raise
        except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError) as exc:
            error = _network_error(url, exc, self.settings, current.host)
            raise error from exc
        except OSError as exc:  # defensive: a socket error httpx did not wrap
            raise _Transient(FetchError(url, f"network error: {exc.strerror or exc}")) from exc

    @staticmethod
    def _next_hop(url: str, current: httpx.URL, location: str) -> httpx.URL:
        try:
            target = current.join(location.strip())
        except httpx.InvalidURL:
            raise FetchError(url, f"bad redirect to {location!r}") from None
        if target.scheme not in ("http", "https") or not target.host:
            raise FetchError(url, f"redirect to a non-web URL {location!r}")
        if not target.fragment and current.fragment:
            target = target.copy_with(fragment=current.fragment)
        return target

    async def _page(
        self, url: str, response: httpx.Response, etag: str | None, last_modified: str | None, started: float
    ) -> Page:
        status = response.status_code
        response_headers = response.headers
        if status == 304:
            return Page(
                url=url,
                final_url=str(response.url),
                status=304,
                html=None,
                raw=b"",
                encoding=None,
                etag=response_headers.get("ETag") or etag,
                last_modified=response_headers.get("Last-Modified") or last_modified,
                elapsed_ms=(time.perf_counter() - started) * 1000,
            )
        if status >= 300:
            reason = f"HTTP {status} {httpx.codes.get_reason_phrase(status)}".rstrip()
            if status in _GONE_STATUSES:
                raise PageGone(url, f"gone (HTTP {status})", status=status)
            retry_after = _retry_after(response_headers.get("Retry-After"))
            error = FetchError(url, reason, status=status, retry_after=retry_after)
            if status in _RETRY_STATUSES:
                raise _Transient(error, retry_after)
            raise error

        content_type = response_headers.get("Content-Type", "")
        media_type = content_type.partition(";")[0].strip().lower()
        if media_type and media_type not in _HTML_TYPES:
            raise FetchError(url, f"not an HTML page (content type {media_type})", status=status)
        max_bytes = self.settings.max_bytes
        length = response_headers.get("Content-Length")
        if length and length.isdigit() and int(length) > max_bytes:
            raise FetchError(url, f"response larger than {_size(max_bytes)}", status=status)

        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > max_bytes:
                raise FetchError(url, f"response larger than {_size(max_bytes)}", status=status)
            chunks.append(chunk)
        raw = chunks[0] if len(chunks) == 1 else b"".join(chunks)

        if not media_type and not looks_like_html(raw):
            raise FetchError(url, "not an HTML page (no content type and the body is not HTML)", status=status)
        html, encoding = decode_html(raw, _header_charset(content_type) if ";" in content_type else None)
        return Page(
            url=url,
            final_url=str(response.url),
            status=status,
            html=html,
            raw=raw,
            encoding=encoding,
            etag=response_headers.get("ETag"),
            last_modified=response_headers.get("Last-Modified"),
            elapsed_ms=(time.perf_counter() - started) * 1000,
        )

    async def _check_address(self, url: str, target: httpx.URL) -> None:
        """Refuse a host that is, or resolves to, a non-public address. Resolutions are cached briefly."""
        host = target.host
        try:
            literal: IPAddress | None = ipaddress.ip_address(host)
        except ValueError:
            literal = None
        if literal is not None:
            if is_blocked_address(literal):
                raise FetchError(url, _private_reason(literal))
            return
        now = time.monotonic()
        cached = self._address_cache.get(host)
        if cached is None or cached[0] < now:
            blocked = None
            for ip in await self._resolve(url, target):
                if is_blocked_address(ip):
                    blocked = ip
                    break
            cached = self._address_cache[host] = (now + RESOLVE_TTL, blocked)
        if cached[1] is not None:
            raise FetchError(url, _private_reason(cached[1]))

    async def _resolve(self, url: str, target: httpx.URL) -> list[IPAddress]:
        """Every address the host resolves to (all are checked: the connection may use any)."""
        host = target.raw_host.decode("ascii")
        port = target.port or (443 if target.scheme == "https" else 80)
        loop = asyncio.get_running_loop()
        try:
            infos = await asyncio.wait_for(
                loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), timeout=self.settings.connect_timeout
            )
        except socket.gaierror as exc:
            error = FetchError(url, f"cannot resolve host {target.host}")
            raise (_Transient(error) if exc.errno == socket.EAI_AGAIN else error) from exc
        except (TimeoutError, OSError) as exc:
            raise _Transient(FetchError(url, f"cannot resolve host {target.host}")) from exc
        addresses: list[IPAddress] = []
        for info in infos:
            try:
                addresses.append(ipaddress.ip_address(info[4][0]))
            except ValueError:
                continue
        if not addresses:
            raise FetchError(url, f"cannot resolve host {target.host}")
        return addresses
