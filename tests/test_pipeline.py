"""One check through every stage, against a real local site and a real store."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
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


def publish_story(site: LocalSite, story) -> str:
    return site.publish("/a", page_renderer(story))


def test_summary_and_stealth_flag(site: LocalSite, store: Store, config: Config) -> None:
    url = publish_story(site, ORIGINAL)
    store.add_article(url)
    check(store, config, url)
    figure_edit = EDITS[2].story  # the headline, a quote and the toll changed, with a new modified date
    publish_story(site, figure_edit)
    [dated] = check(store, config, url)
    assert dated.stealth is False
    assert "headline rewritten" in dated.summary and "figure 14 → 17" in dated.summary
    quiet = replace(figure_edit, paragraphs=(figure_edit.paragraphs[0].replace("17", "19"), *figure_edit.paragraphs[1:]))
    publish_story(site, quiet)
    [stealthy] = check(store, config, url)
    assert [c.kind for c in stealthy.changes] == ["figure"]
    assert stealthy.stealth is True
    assert stealthy.to_dict()["stealth"] is True


PAYWALL = b"""<html><head><title>Dam gives way</title></head><body><article><h1>Dam gives way</h1>
<p>An earthen dam gave way before dawn on Tuesday.</p>
<p>Subscribe to continue reading. Already a subscriber? Log in.</p></article></body></html>"""


def test_suspect_version_is_stored_but_not_diffed(site: LocalSite, store: Store, config: Config) -> None:
    url = publish_story(site, ORIGINAL)
    store.add_article(url)
    check(store, config, url)
    site.publish("/a", PAYWALL)
    [walled] = check(store, config, url)
    assert (walled.status, walled.version, walled.changes) == ("changed", 2, ())
    assert walled.suspect == "looks like a paywall teaser"
    assert store.latest_version(walled.article_id).suspect == walled.suspect
    assert check(store, config, url)[0].status == "unchanged", "the same wall again is nothing new"
    publish_story(site, ORIGINAL)
    assert check(store, config, url)[0].status == "unchanged", "the article is back as it was"
    publish_story(site, EDITS[0].story)
    [edited] = check(store, config, url)
    assert (edited.previous_version, [c.kind for c in edited.changes]) == (1, ["headline"])


def test_ab_headline_test_is_reported_once(site: LocalSite, store: Store, config: Config) -> None:
    variant = replace(ORIGINAL, headline="Valley towns flooded after dam above Harlow Ford fails")
    url = publish_story(site, ORIGINAL)
    store.add_article(url)
    check(store, config, url)
    publish_story(site, variant)
    assert [c.kind for c in check(store, config, url)[0].changes] == ["headline"]
    publish_story(site, ORIGINAL)
    [back] = check(store, config, url)
    assert back.headline_test == (ORIGINAL.headline, variant.headline)
    assert [c.kind for c in back.changes] == ["headline"]
    publish_story(site, variant)
    [again] = check(store, config, url)
    assert again.headline_test == (ORIGINAL.headline, variant.headline)
    assert again.changes == ()


def test_a_new_redirect_target_is_reported_as_a_move(site: LocalSite, store: Store, config: Config) -> None:
    url = publish_story(site, ORIGINAL)
    store.add_article(url)
    assert check(store, config, url)[0].moved_to is None
    new_slug = site.publish("/a-new-slug", page_renderer(ORIGINAL))
    site.publish("/a", b"", status=301, headers={"Location": new_slug})
    [moved] = check(store, config, url)
    assert (moved.status, moved.moved_to, moved.to_dict()["moved_to"]) == ("unchanged", new_slug, new_slug)
    assert store.resolve(url).final_url == new_slug
    assert check(store, config, url)[0].moved_to is None, "reported once"


def test_a_byte_identical_page_is_unchanged_without_extraction(site: LocalSite, store: Store, config: Config, monkeypatch) -> None:
    from monitor.demo_article import render_page

    url = site.publish("/a", render_page(ORIGINAL, request_number=1))  # the same bytes on every request
    store.add_article(url)
    assert check(store, config, url)[0].status == "new"

    def no_extraction(*args: object, **kwargs: object) -> None:
        raise AssertionError("an identical page must not be extracted again")

    monkeypatch.setattr("monitor.pipeline.extract_article", no_extraction)
    assert check(store, config, url)[0].status == "unchanged"
    monkeypatch.undo()
    site.publish("/a", render_page(ORIGINAL, request_number=2))  # new noise: extracted, still unchanged
    assert check(store, config, url)[0].status == "unchanged"
