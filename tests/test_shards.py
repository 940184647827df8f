"""A large check pass split across processes: fair bounds, every article checked once, failures as data."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from monitor import shards
from monitor.config import Config, HttpSettings
from monitor.demo_article import EDITS, ORIGINAL, page_renderer
from monitor.localsite import LocalSite
from monitor.models import CheckResult, WatchedArticle
from monitor.store import Store


def article(url: str) -> WatchedArticle:
    return WatchedArticle(id=url[-6:], url=url, name=None, interval_seconds=None, tags=(), added_at="2026-11-28T00:00:00+00:00")


MANY = [article(f"https://host{n % 3}.example/story/{n:04d}") for n in range(shards.SHARD_THRESHOLD + 10)]


def test_small_passes_and_single_cores_stay_in_one_process() -> None:
    http = HttpSettings(concurrency=8, per_host_concurrency=4)
    assert len(shards.plan_shards(MANY[: shards.SHARD_THRESHOLD - 1], http, cores=2)) == 1
    assert len(shards.plan_shards(MANY, http, cores=1)) == 1


def test_articles_are_dealt_out_when_every_shard_gets_a_share_of_each_host() -> None:
    plan = shards.plan_shards(MANY, HttpSettings(concurrency=8, per_host_concurrency=4), cores=2)
    assert [len(part) for part, _ in plan] == [105, 105]
    assert {http.concurrency for _, http in plan} == {4} and {http.per_host_concurrency for _, http in plan} == {2}
    assert sorted(a.url for part, _ in plan for a in part) == sorted(a.url for a in MANY)


@pytest.mark.parametrize("http", [HttpSettings(concurrency=8, per_host_concurrency=1), HttpSettings(concurrency=8, per_host_delay=0.5)])
def test_whole_hosts_are_dealt_out_when_a_host_bound_cannot_be_split(http: HttpSettings) -> None:
    plan = shards.plan_shards(MANY, http, cores=2)
    hosts = [{a.url.split("/")[2] for a in part} for part, _ in plan]
    assert len(plan) == 2 and not hosts[0] & hosts[1], "no host is fetched from two processes"
    assert all(settings.per_host_concurrency == http.per_host_concurrency and settings.per_host_delay == http.per_host_delay for _, settings in plan)


def run_pass(store: Store, config: Config) -> list[CheckResult]:
    async def collect() -> list[CheckResult]:
        return [result async for result in shards.check_all(store.articles(), config, store)]

    return asyncio.run(collect())


def test_a_sharded_pass_checks_every_article_once(site: LocalSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shards, "SHARD_THRESHOLD", 4)
    monkeypatch.setattr(shards.os, "cpu_count", lambda: 2)
    urls = [site.publish(f"/story/{n}", page_renderer(ORIGINAL)) for n in range(8)]
    config = Config(data_dir=tmp_path, http=HttpSettings(allow_private_addresses=True, retries=0, concurrency=4, per_host_concurrency=4))
    with Store.open(tmp_path) as store:
        for url in urls:
            store.add_article(url)
        first = run_pass(store, config)
        assert sorted(r.url for r in first) == sorted(urls) and {r.status for r in first} == {"new"}
        for n in (1, 6):
            site.publish(f"/story/{n}", page_renderer(EDITS[2].story))
        second = {r.url: r for r in run_pass(store, config)}
        assert sorted(url for url, r in second.items() if r.status == "changed") == sorted([urls[1], urls[6]])
        assert {r.status for url, r in second.items() if url not in (urls[1], urls[6])} == {"unchanged"}
        assert "figure" in {c.kind for c in second[urls[6]].changes}
        assert store.verify() == (10, [])
