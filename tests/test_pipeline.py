"""One check through every stage, against a real local site and a real store."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from monitor.config import Config, HttpSettings
from monitor.demo_article import EDITS, ORIGINAL, page_renderer
from monitor.localsite import LocalSite
from monitor.models import CheckResult
from monitor.pipeline import check_many
from monitor.store import Store


@pytest.fixture
def store(tmp_path: Path):
    with Store.open(tmp_path) as opened:
        yield opened


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return Config(data_dir=tmp_path, http=HttpSettings(allow_private_addresses=True, retries=0, read_timeout=5))


def check(store: Store, config: Config, *urls: str) -> list[CheckResult]:
    async def run() -> list[CheckResult]:
        return [result async for result in check_many([store.resolve(url) for url in urls], config, store)]

    return sorted(asyncio.run(run()), key=lambda result: urls.index(result.url))


def test_new_unchanged_changed(site: LocalSite, store: Store, config: Config) -> None:
    url = site.publish("/a", page_renderer(ORIGINAL))
    store.add_article(url)
    [new] = check(store, config, url)
    assert (new.status, new.version, new.previous_version, new.changes) == ("new", 1, None, ())
    [same] = check(store, config, url)
    assert (same.status, same.version) == ("unchanged", 1)
    site.publish("/a", page_renderer(EDITS[2].story))
    [changed] = check(store, config, url)
    assert (changed.status, changed.version, changed.previous_version) == ("changed", 2, 1)
    assert sorted({c.kind for c in changed.changes}) == ["figure", "headline", "quote"]
    snapshot = json.loads((store.root / changed.article_id / "v0002.json").read_text())
    assert [c["kind"] for c in snapshot["changes"]] == [c.kind for c in changed.changes]
    assert [c["status"] for c in store.checks(changed.article_id)] == ["changed", "unchanged", "new"]


def test_not_modified_skips_extraction_and_keeps_version(site: LocalSite, store: Store, config: Config) -> None:
    url = site.publish("/a", page_renderer(ORIGINAL), etag='"v1"')
    store.add_article(url)
    assert check(store, config, url)[0].status == "new"
    assert store.resolve(url).etag == '"v1"'
    [result] = check(store, config, url)
    assert (result.status, result.http_status, result.version) == ("unchanged", 304, 1)
    assert site.hits[-1].headers.get("If-None-Match") == '"v1"'


def test_redirect_records_final_url(site: LocalSite, store: Store, config: Config) -> None:
    target = site.publish("/news/new-slug", page_renderer(ORIGINAL))
    url = site.publish("/news/old-slug", b"", status=301, headers={"Location": target})
    store.add_article(url)
    [result] = check(store, config, url)
    assert (result.status, result.final_url) == ("new", target)
    assert store.resolve(url).final_url == target
    assert store.latest_version(result.article_id).final_url == target


def test_gone_then_back(site: LocalSite, store: Store, config: Config) -> None:
    url = site.publish("/a", page_renderer(ORIGINAL))
    store.add_article(url)
    check(store, config, url)
    site.publish("/a", b"<html><body>Gone</body></html>", status=410)
    [gone] = check(store, config, url)
    assert (gone.status, gone.version, gone.http_status) == ("gone", 1, 410)
    assert store.resolve(url).gone
    site.publish("/a", page_renderer(ORIGINAL))
    [back] = check(store, config, url)
    assert (back.status, back.version) == ("unchanged", 1)
    assert not store.resolve(url).gone


def test_one_failure_does_not_stop_the_others(site: LocalSite, store: Store, config: Config) -> None:
    good = site.publish("/good", page_renderer(ORIGINAL))
    broken = site.publish("/broken", b"oops", status=500, content_type="text/plain")
    empty = site.publish("/empty", b"<html><body><nav>Home</nav></body></html>")
    for url in (good, broken, empty):
        store.add_article(url)
    results = check(store, config, good, broken, empty)
    assert [r.status for r in results] == ["new", "error", "error"]
    assert results[1].error == "HTTP 500 Internal Server Error" and results[1].http_status == 500
    assert results[2].error == "no article text found on the page"
    assert store.versions(results[1].article_id) == [] == store.versions(results[2].article_id)
    assert store.verify() == (1, [])
