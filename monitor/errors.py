"""The one exception tree of the monitor.

    MonitorError            anything the monitor reports as a one-line message
    ├── ConfigError         a bad config file, key or value (exit 2)
    ├── UsageError          a bad argument or an unknown article (exit 2)
    ├── FetchError          a page could not be fetched or is not an article page
    │   └── PageGone        the server answered 404 or 410
    ├── ExtractionError     a page could not be parsed into an article
    │   └── SiteRuleMismatch a site rule's body selector matched nothing
    ├── StorageError        the data folder cannot be read or written
    └── DeliveryError       an alert could not be sent on a channel (retried later)

Errors are raised with their context and turned into a message and an exit code once, in the CLI.
"""

from __future__ import annotations


class MonitorError(Exception):
    """Base of every error the monitor reports to a user as one line."""

    exit_code = 1


class ConfigError(MonitorError):
    """A config file, key or value is wrong; the message names file, key path and value."""

    exit_code = 2


class UsageError(MonitorError):
    """A command was given an argument it cannot use (bad URL, unknown article)."""

    exit_code = 2


class FetchError(MonitorError):
    """A page could not be fetched; `reason` is short and stable enough to record on a check."""

    def __init__(self, url: str, reason: str, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason
        self.status = status
        self.retry_after = retry_after  # seconds the server asked us to wait (Retry-After), if any


class ExtractionError(MonitorError):
    """A page could not be turned into an article."""


class SiteRuleMismatch(ExtractionError):
    """A site rule's body selector matched nothing: the site changed its markup.

    The check fails rather than falling back to the heuristics, whose different body would be
    reported as a mass edit of every article on the host.
    """

    def __init__(self, host: str, rule: str, selector: str) -> None:
        super().__init__(f"extraction failed for host {host}: site rule {rule!r} body selector {selector!r} matched nothing")
        self.host = host


class StorageError(MonitorError):
    """The data folder or its index cannot be read or written."""


class PageGone(FetchError):
    """The server answered 404 or 410: the article was taken down or moved without a redirect."""


class DeliveryError(MonitorError):
    """An alert could not be delivered on a channel; the outbox retries it later."""
