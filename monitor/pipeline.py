"""One check of one article through every stage: fetch -> extract -> hash -> store -> diff -> classify.

Most checks find nothing new, so the order is chosen to stop early: a 304 stops after the fetch,
an unchanged content hash stops before any diffing. Failures become `CheckResult`s, not exceptions,
so that one bad article never stops a pass over the others.

Extraction is CPU work; in a large pass it runs in worker processes so that parsing one page never
holds up the fetches in flight and every core is used.
"""

from __future__ import annotations

import asyncio
import functools
import multiprocessing
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from monitor.classify import classify
from monitor.config import Config
from monitor.diff import diff_articles
from monitor.errors import ExtractionError, FetchError, PageGone
from monitor.extract import extract_article
from monitor.fetch import Fetcher
from monitor.models import Article, CheckResult, Page, SiteRule, WatchedArticle
from monitor.store import Store, content_hash


# Below this many articles a pass extracts in-process: starting workers would cost more than it saves.
POOL_THRESHOLD = 16

Extractor = Callable[[str, str], Awaitable[Article]]


def inline_extractor(rules: Sequence[SiteRule]) -> Extractor:
    """Extraction on the event loop's thread."""

    async def extract(html: str, url: str) -> Article:
        return extract_article(html, url, rules=rules)

    return extract


def pooled_extractor(pool: ProcessPoolExecutor, rules: Sequence[SiteRule]) -> Extractor:
    """Extraction in `pool`'s worker processes."""

    async def extract(html: str, url: str) -> Article:
        try:
            return await asyncio.get_running_loop().run_in_executor(pool, functools.partial(extract_article, html, url, rules=rules))
        except BrokenProcessPool:
            raise ExtractionError("the extraction worker stopped unexpectedly") from None

    return extract


async def check_article(article: WatchedArticle, fetcher: Fetcher, store: Store, extract: Extractor) -> CheckResult:
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
        extracted = await extract(page.html or "", page.final_url)
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
    pool = _extraction_pool() if len(articles) >= POOL_THRESHOLD else None
    extract = pooled_extractor(pool, config.site_rules) if pool else inline_extractor(config.site_rules)
    try:
        async with Fetcher(config.http) as fetcher:
            tasks = [asyncio.ensure_future(check_article(a, fetcher, store, extract)) for a in articles]
            try:
                for finished in asyncio.as_completed(tasks):
                    yield await finished
            finally:
                for task in tasks:
                    task.cancel()
    finally:
        if pool:
            pool.shutdown(cancel_futures=True)


def _extraction_pool() -> ProcessPoolExecutor:
    # spawn: forking a process that runs threads (a resolver pool, a test server) is unsafe, and spawned
    # workers are this process's own children, so their CPU time is accounted to it.
    context = multiprocessing.get_context("spawn")
    return ProcessPoolExecutor(max_workers=os.cpu_count() or 1, mp_context=context)
