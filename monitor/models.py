"""Plain data passed between the pipeline's stages: fetch -> extract -> store -> diff -> classify.

Every type here is a frozen dataclass with no behaviour beyond conversion to and from JSON-ready
dicts, so that a stage never needs another stage's internals to read what it was given.
"""

from __future__ import annotations

import fnmatch
import hashlib
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

# Text fields of an article that are compared one to one (the body is compared paragraph by paragraph).
ARTICLE_FIELDS = ("headline", "standfirst", "byline")


@dataclass(frozen=True)
class Article:
    """What extraction finds in a page: metadata and the body as ordered paragraphs."""

    headline: str | None = None
    standfirst: str | None = None
    byline: str | None = None
    published: str | None = None
    modified: str | None = None
    canonical_url: str | None = None
    paragraphs: list[str] = field(default_factory=list)
    section: str | None = None
    language: str | None = None

    @property
    def body(self) -> str:
        """The paragraphs joined by blank lines."""
        return "\n\n".join(self.paragraphs)

    def to_dict(self) -> dict[str, Any]:
        return {
            "headline": self.headline,
            "standfirst": self.standfirst,
            "byline": self.byline,
            "published": self.published,
            "modified": self.modified,
            "canonical_url": self.canonical_url,
            "section": self.section,
            "language": self.language,
            "paragraphs": list(self.paragraphs),
            "body": self.body,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Article:
        return cls(
            headline=data.get("headline"),
            standfirst=data.get("standfirst"),
            byline=data.get("byline"),
            published=data.get("published"),
            modified=data.get("modified"),
            canonical_url=data.get("canonical_url"),
            paragraphs=list(data.get("paragraphs") or []),
            section=data.get("section"),
            language=data.get("language"),
        )


@dataclass(frozen=True)
class SiteRule:
    """Per-site extraction rule from `config/sites/*.toml`: CSS selectors that override the defaults."""

    name: str
    hosts: tuple[str, ...]
    headline: str | None = None
    standfirst: str | None = None
    byline: str | None = None
    body: str | None = None
    drop: tuple[str, ...] = ()

    def matches(self, host: str) -> bool:
        """True when `host` equals one of the patterns or fits a glob such as `*.example.com`."""
        host = host.lower()
        return any(host == pattern or fnmatch.fnmatchcase(host, pattern) for pattern in self.hosts)


@dataclass(frozen=True)
class Page:
    """A fetched page. `status` 304 means unchanged since the validators sent; then `html` is None."""

    url: str
    final_url: str
    status: int
    html: str | None
    raw: bytes
    encoding: str | None
    etag: str | None
    last_modified: str | None
    elapsed_ms: float
    queued_ms: float = 0.0  # time spent waiting for the concurrency bounds and the host's turn

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @cached_property
    def raw_hash(self) -> str:
        """A hash of the bytes as served: an identical page needs no extraction to be unchanged."""
        return hashlib.blake2b(self.raw, digest_size=16).hexdigest()


@dataclass(frozen=True)
class WordSpan:
    """One run of a word-level diff: `op` is "equal", "insert" or "delete"."""

    op: str
    text: str


@dataclass(frozen=True)
class SentenceEdit:
    """One aligned sentence pair: `action` is "equal", "added", "removed" or "changed"."""

    action: str
    before: str | None
    after: str | None
    words: tuple[WordSpan, ...] = ()


@dataclass(frozen=True)
class ParagraphEdit:
    """One aligned paragraph pair: `action` is "equal", "added", "removed", "changed" or "moved".

    A moved paragraph whose wording also changed carries its sentence edits too.
    """

    action: str
    before_index: int | None
    after_index: int | None
    before: str | None
    after: str | None
    sentences: tuple[SentenceEdit, ...] = ()


@dataclass(frozen=True)
class FieldEdit:
    """A changed one-line field (headline, standfirst or byline) with its word-level diff."""

    field: str
    before: str | None
    after: str | None
    words: tuple[WordSpan, ...] = ()


@dataclass(frozen=True)
class ArticleDiff:
    """Everything that differs between two versions of an article.

    `paragraphs` lists every paragraph of both versions in reading order of the new version, with
    removed paragraphs at their old place, so that a renderer can show the whole article.
    """

    fields: tuple[FieldEdit, ...]
    paragraphs: tuple[ParagraphEdit, ...]

    @property
    def changed(self) -> bool:
        return bool(self.fields) or any(p.action != "equal" for p in self.paragraphs)


CHANGE_KINDS = ("headline", "standfirst", "byline", "quote", "figure", "correction", "text", "minor", "move")
# How much a kind of change matters to a reader; alert rules filter on it.
SEVERITY = {
    "headline": "high",
    "quote": "high",
    "figure": "high",
    "correction": "high",
    "standfirst": "medium",
    "byline": "medium",
    "text": "medium",
    "minor": "low",
    "move": "low",
}


@dataclass(frozen=True)
class Change:
    """One classified change.

    Figures carry `before_value`/`after_value` as written, the thing `counted` ("soldier deaths")
    and `relative_change` ((after - before) / before) when both values are numbers; quotes carry
    the `speaker`.
    """

    kind: str
    action: str
    before: str | None
    after: str | None
    context: str
    before_value: str | None = None
    after_value: str | None = None
    speaker: str | None = None
    counted: str | None = None
    relative_change: float | None = None
    explains: int | None = None  # a correction: the index, in the same list, of the change it explains

    @property
    def severity(self) -> str:
        return SEVERITY[self.kind]

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "kind": self.kind,
            "action": self.action,
            "before": self.before,
            "after": self.after,
            "context": self.context,
            "severity": self.severity,
        }
        if self.kind == "figure":
            data["before_value"] = self.before_value
            data["after_value"] = self.after_value
            data["counted"] = self.counted
            data["relative_change"] = None if self.relative_change is None else round(self.relative_change, 4)
        if self.kind == "quote":
            data["speaker"] = self.speaker
        if self.kind == "correction":
            data["explains"] = self.explains
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Change:
        return cls(
            kind=data["kind"],
            action=data["action"],
            before=data.get("before"),
            after=data.get("after"),
            context=data.get("context", ""),
            before_value=data.get("before_value"),
            after_value=data.get("after_value"),
            speaker=data.get("speaker"),
            counted=data.get("counted"),
            relative_change=data.get("relative_change"),
            explains=data.get("explains"),
        )


@dataclass(frozen=True)
class WatchedArticle:
    """An article in the store's index and what the last check learnt about it."""

    id: str
    url: str
    name: str | None
    interval_seconds: int | None
    tags: tuple[str, ...]
    added_at: str
    final_url: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    gone: bool = False
    latest_version: int | None = None
    last_checked_at: str | None = None
    last_status: str | None = None
    next_due_at: str | None = None
    failures: int = 0
    gone_checks: int = 0
    last_changed_at: str | None = None
    published_at: str | None = None
    raw_hash: str | None = None


@dataclass(frozen=True)
class VersionRecord:
    """One stored version: its number (1, 2, ...), when it was fetched and what changed to make it."""

    article_id: str
    number: int
    fetched_at: str
    content_hash: str
    headline: str | None
    kinds: tuple[str, ...] = ()
    final_url: str | None = None
    suspect: str | None = None


@dataclass(frozen=True)
class CheckResult:
    """The outcome of checking one article once; failures are data here, not exceptions.

    `suspect` says why a stored version is probably not the article (a paywall, a consent wall, a
    body that lost most of its words): such a version is not diffed. `stealth` is an edit of
    substance with no new modified date and no update or correction note. `headline_test` holds the
    variants when the headline alternates among them (an A/B test).
    """

    url: str
    article_id: str
    status: str
    version: int | None = None
    previous_version: int | None = None
    changes: tuple[Change, ...] = ()
    error: str | None = None
    http_status: int | None = None
    duration_ms: float = 0.0
    final_url: str | None = None
    summary: str | None = None
    stealth: bool = False
    suspect: str | None = None
    headline_test: tuple[str, ...] | None = None
    retry_after: float | None = None  # seconds the server asked to wait before the next check
    queued_ms: float = 0.0  # how long the fetch waited for the concurrency bounds and the host's turn
    moved_to: str | None = None  # the new address when the article's redirect target changed

    def to_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "article_id": self.article_id,
            "status": self.status,
            "version": self.version,
            "previous_version": self.previous_version,
            "changes": [change.to_dict() for change in self.changes],
            "error": self.error,
            "http_status": self.http_status,
            "final_url": self.final_url,
            "duration_ms": round(self.duration_ms, 1),
            "summary": self.summary,
            "stealth": self.stealth,
            "suspect": self.suspect,
            "headline_test": list(self.headline_test) if self.headline_test else None,
            "moved_to": self.moved_to,
        }


@dataclass(frozen=True)
class Alert:
    """One delivery of one event (a check result) to one channel: a row of the store's outbox.

    `delivery_id` is stable across retries and restarts, so a receiver can drop duplicates of an
    at-least-once delivery. `payload` is the check result as JSON (`CheckResult.to_dict()`, its
    changes filtered by the channel's rule) plus `"delivery_id"`, `"article_name"` and `"tags"`.
    """

    delivery_id: str
    channel: str
    article_id: str
    created_at: str
    payload: dict[str, Any]
    status: str = "pending"
    attempts: int = 0
    next_attempt_at: str | None = None
    last_error: str | None = None
