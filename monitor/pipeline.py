"""One check of one article through every stage: fetch -> extract -> hash -> store -> diff -> classify.

Most checks find nothing new, so the order is chosen to stop early: a 304 stops after the fetch,
an unchanged content hash stops before any diffing. Failures become `CheckResult`s, not exceptions,
so that one bad article never stops a pass over the others.

Extraction runs on the event loop's thread: at about 1.5 ms a page it costs less than handing pages
to worker processes did (measured with benchmarks/check_pass.py: same wall time, 30% more CPU).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from monitor.classify import classify, is_stealth, summarize
from monitor.classify.headlines import headline_test
from monitor.config import Channel, Config
from monitor.diff import diff_articles
from monitor.errors import ExtractionError, FetchError, PageGone
from monitor.extract import extract_article, suspect_reason
from monitor.fetch import Fetcher
from monitor.models import Alert, Article, Change, CheckResult, Page, SiteRule, WatchedArticle
from monitor.outbox import alerts_for
from monitor.store import Store, content_hash


@dataclass(frozen=True)
class _Check:
    """One check in progress: what it checks, where it stores, who is told, and when it started."""

    article: WatchedArticle
    store: Store
    channels: Sequence[Channel]
    started: float

    def alerts(self, result: CheckResult) -> list[Alert]:
        return alerts_for(result, self.article, self.channels, datetime.now(UTC)) if self.channels else []


async def check_article(
    article: WatchedArticle,
    fetcher: Fetcher,
    store: Store,
    rules: Sequence[SiteRule] = (),
    channels: Sequence[Channel] = (),
) -> CheckResult:
    """Fetch `article` once, store a new version if its content changed, and say what changed.

    Alerts for `channels` are written to the outbox in the same transaction as the check.
    """
    check = _Check(article, store, channels, time.perf_counter())
    try:
        page = await fetcher.fetch(article.url, etag=article.etag, last_modified=article.last_modified)
    except PageGone as exc:
        return _record_failure(check, "gone", exc.reason, exc.status)
    except FetchError as exc:
        return _record_failure(check, "error", exc.reason, exc.status, exc.retry_after)
    if page.not_modified or (article.latest_version and page.raw_hash == article.raw_hash):
        return _record_unchanged(check, page)
    try:
        extracted = extract_article(page.html or "", page.final_url, rules=rules)
    except ExtractionError as exc:
        return _record_failure(check, "error", str(exc), page.status)
    if not extracted.paragraphs:
        return _record_failure(check, "error", "no article text found on the page", page.status)
    return _store_if_changed(check, page, extracted)


def _store_if_changed(check: _Check, page: Page, extracted: Article) -> CheckResult:
    store, article = check.store, check.article
    new_hash = content_hash(extracted)
    latest = store.latest_version(article.id)
    if latest is not None and latest.content_hash == new_hash:
        return _record_unchanged(check, page)
    # After a suspect version (a paywall, a consent wall) changes are measured from the last sound one.
    baseline = store.latest_sound_version(article.id) if latest and latest.suspect else latest
    if baseline is not None and baseline.content_hash == new_hash:
        return _record_unchanged(check, page)
    previous = store.load_article(article.id, baseline.number) if baseline else None
    assessment = _assess(store, article, previous, extracted)
    result = CheckResult(
        url=article.url,
        article_id=article.id,
        status="changed" if latest else "new",
        version=(latest.number if latest else 0) + 1,
        previous_version=baseline.number if baseline else None,
        changes=assessment.changes,
        http_status=page.status,
        duration_ms=_elapsed_ms(check.started),
        final_url=page.final_url,
        moved_to=_moved_to(article, page),
        summary=summarize(assessment.changes) if previous and not assessment.suspect else None,
        stealth=assessment.stealth,
        suspect=assessment.suspect,
        headline_test=assessment.headline_test,
        queued_ms=page.queued_ms,
    )
    store.save_version(
        article,
        extracted,
        number=result.version,
        page=page,
        duration_ms=result.duration_ms,
        changes=assessment.changes,
        suspect=assessment.suspect,
        alerts=check.alerts(result),
    )
    return result


@dataclass(frozen=True)
class _Assessment:
    """What a new version means against the one before it."""

    changes: tuple[Change, ...] = ()
    suspect: str | None = None
    stealth: bool = False
    headline_test: tuple[str, ...] | None = None


def _assess(store: Store, article: WatchedArticle, previous: Article | None, extracted: Article) -> _Assessment:
    suspect = suspect_reason(previous, extracted)
    if suspect or previous is None:
        return _Assessment(suspect=suspect)
    changes = classify(diff_articles(previous, extracted))
    variants = None
    if previous.headline != extracted.headline:
        history = [version.headline for version in store.versions(article.id)]
        variants = headline_test(history, extracted.headline)
        if variants and headline_test(history[:-1], history[-1]) == variants:
            # The test was reported when it began; another flip between its variants is not news.
            changes = [change for change in changes if change.kind != "headline"]
    return _Assessment(tuple(changes), None, is_stealth(changes, previous, extracted), variants)


def _record_unchanged(check: _Check, page: Page) -> CheckResult:
    store, article = check.store, check.article
    duration = _elapsed_ms(check.started)
    store.record_check(article, status="unchanged", duration_ms=duration, page=page)
    latest = article.latest_version
    return CheckResult(
        url=article.url,
        article_id=article.id,
        status="unchanged",
        version=latest,
        previous_version=latest,
        http_status=page.status,
        duration_ms=duration,
        final_url=page.final_url,
        queued_ms=page.queued_ms,
        moved_to=_moved_to(article, page),
    )


def _moved_to(article: WatchedArticle, page: Page) -> str | None:
    """The article's new address when its redirect target changed since the last check (a new slug)."""
    return page.final_url if article.final_url and page.final_url != article.final_url else None


def _record_failure(
    check: _Check, status: str, reason: str, http_status: int | None, retry_after: float | None = None
) -> CheckResult:
    article = check.article
    result = CheckResult(
        url=article.url,
        article_id=article.id,
        status=status,
        version=article.latest_version,
        previous_version=article.latest_version,
        error=reason,
        http_status=http_status,
        duration_ms=_elapsed_ms(check.started),
        retry_after=retry_after,
    )
    check.store.record_check(
        article, status=status, http_status=http_status, duration_ms=result.duration_ms, error=reason,
        alerts=check.alerts(result),
    )
    return result


def _elapsed_ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


async def check_many(articles: Sequence[WatchedArticle], config: Config, store: Store) -> AsyncIterator[CheckResult]:
    """Check every article concurrently (within the fetcher's bounds), yielding results as they finish."""
    async with Fetcher(config.http) as fetcher:
        tasks = [
            asyncio.ensure_future(check_article(a, fetcher, store, config.site_rules, config.channels)) for a in articles
        ]
        try:
            for finished in asyncio.as_completed(tasks):
                yield await finished
        finally:
            for task in tasks:
                task.cancel()
