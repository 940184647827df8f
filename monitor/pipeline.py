"""One check of one article through every stage: fetch -> extract -> hash -> store -> diff -> classify.

Most checks find nothing new, so the order is chosen to stop early: a 304 stops after the fetch,
an unchanged content hash stops before any diffing. Failures become `CheckResult`s, not exceptions,
so that one bad article never stops a pass over the others.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence

from monitor.classify import classify
from monitor.config import Config
from monitor.diff import diff_articles
from monitor.errors import ExtractionError, FetchError, PageGone
from monitor.extract import extract_article
from monitor.fetch import Fetcher
from monitor.models import Article, CheckResult, Page, SiteRule, WatchedArticle
from monitor.store import Store, content_hash


async def check_article(
    article: WatchedArticle, fetcher: Fetcher, store: Store, rules: Sequence[SiteRule] = ()
) -> CheckResult:
    """Fetch `article` once, store a new version if its content changed, and say what changed."""
    started = time.perf_counter()
    try:
        page = await fetcher.fetch(article.url, etag=article.etag, last_modified=article.last_modified)
    except PageGone as exc:
        return _record_failure(store, article, "gone", exc.reason, exc.status, started)
    except FetchError as exc:
        return _record_failure(store, article, "error", exc.reason, exc.status, started)
    if page.not_modified:
        return _record_unchanged(store, article, page, started)
    try:
        extracted = extract_article(page.html or "", page.final_url, rules=rules)
    except ExtractionError as exc:
        return _record_failure(store, article, "error", str(exc), page.status, started)
    if not extracted.paragraphs:
        return _record_failure(store, article, "error", "no article text found on the page", page.status, started)
    return _store_if_changed(store, article, page, extracted, started)


def _store_if_changed(
    store: Store, article: WatchedArticle, page: Page, extracted: Article, started: float
) -> CheckResult:
    latest = store.latest_version(article.id)
    if latest is not None and latest.content_hash == content_hash(extracted):
        return _record_unchanged(store, article, page, started)
    changes = classify(diff_articles(store.load_article(article.id, latest.number), extracted)) if latest else []
    record = store.save_version(
        article,
        extracted,
        raw_html=page.raw,
        encoding=page.encoding,
        http_status=page.status,
        duration_ms=_elapsed_ms(started),
        final_url=page.final_url,
        etag=page.etag,
        last_modified=page.last_modified,
        changes=changes,
    )
    return CheckResult(
        url=article.url,
        article_id=article.id,
        status="changed" if latest else "new",
        version=record.number,
        previous_version=latest.number if latest else None,
        changes=tuple(changes),
        http_status=page.status,
        duration_ms=_elapsed_ms(started),
        final_url=page.final_url,
    )


def _record_unchanged(store: Store, article: WatchedArticle, page: Page, started: float) -> CheckResult:
    duration = _elapsed_ms(started)
    store.record_check(
        article,
        status="unchanged",
        http_status=page.status,
        duration_ms=duration,
        final_url=page.final_url,
        etag=page.etag,
        last_modified=page.last_modified,
    )
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
    )


def _record_failure(
    store: Store, article: WatchedArticle, status: str, reason: str, http_status: int | None, started: float
) -> CheckResult:
    duration = _elapsed_ms(started)
    store.record_check(article, status=status, http_status=http_status, duration_ms=duration, error=reason)
    return CheckResult(
        url=article.url,
        article_id=article.id,
        status=status,
        version=article.latest_version,
        previous_version=article.latest_version,
        error=reason,
        http_status=http_status,
        duration_ms=duration,
    )


def _elapsed_ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


async def check_many(articles: Sequence[WatchedArticle], config: Config, store: Store) -> AsyncIterator[CheckResult]:
    """Check every article concurrently (within the fetcher's bounds), yielding results as they finish."""
    async with Fetcher(config.http) as fetcher:
        tasks = [asyncio.ensure_future(check_article(a, fetcher, store, config.site_rules)) for a in articles]
        try:
            for finished in asyncio.as_completed(tasks):
                yield await finished
        finally:
            for task in tasks:
                task.cancel()
