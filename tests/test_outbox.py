"""The outbox: which channels an event reaches, and how failed deliveries are retried."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.config import ChannelRule, DeliverySettings, WebhookChannel
from monitor.models import Change, CheckResult, WatchedArticle
from monitor.outbox import alerts_for, deliver_due
from monitor.store import Store, iso

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
ARTICLE = WatchedArticle(id="a1", url="https://news.example/a", name="Dam", interval_seconds=None, tags=("local",), added_at=iso(NOW))
HEADLINE = Change("headline", "changed", "Old", "New", "New")
TYPO = Change("minor", "changed", "teh", "the", "the")


def channel(name: str = "hook", url: str = "https://hooks.example/x", **rule: object) -> WebhookChannel:
    return WebhookChannel(name=name, rule=ChannelRule(**rule), url=url)


def changed(*changes: Change, **fields: object) -> CheckResult:
    return CheckResult(ARTICLE.url, ARTICLE.id, "changed", 2, 1, changes, **fields)


def test_changes_are_filtered_per_channel() -> None:
    channels = [channel("all"), channel("high", min_severity="high"), channel("minor-only", kinds=("minor",)), channel("sport", tags=("sport",))]
    alerts = alerts_for(changed(HEADLINE, TYPO), ARTICLE, channels, NOW)
    assert {a.channel: [c["kind"] for c in a.payload["changes"]] for a in alerts} == {
        "all": ["headline", "minor"], "high": ["headline"], "minor-only": ["minor"],
    }
    first = alerts[0]
    assert first.payload["delivery_id"] == first.delivery_id and first.payload["article_name"] == "Dam"
    assert first.payload["tags"] == ["local"] and first.next_attempt_at == iso(NOW)
    assert len({a.delivery_id for a in alerts}) == 3


def test_nothing_for_unchanged_suspect_or_unmatched() -> None:
    assert alerts_for(CheckResult(ARTICLE.url, ARTICLE.id, "unchanged", 1, 1), ARTICLE, [channel()], NOW) == []
    assert alerts_for(changed(suspect="looks like a paywall teaser"), ARTICLE, [channel()], NOW) == []
    assert alerts_for(changed(TYPO), ARTICLE, [channel(min_severity="medium")], NOW) == []


def test_gone_is_announced_once() -> None:
    gone = CheckResult(ARTICLE.url, ARTICLE.id, "gone", 1, 1, error="gone (HTTP 410)")
    [alert] = alerts_for(gone, ARTICLE, [channel(), channel("quiet", gone=False)], NOW)
    assert (alert.channel, alert.payload["status"], alert.payload["changes"]) == ("hook", "gone", [])
    from dataclasses import replace

    assert alerts_for(gone, replace(ARTICLE, gone=True), [channel()], NOW) == []


def test_digest_alerts_fall_due_when_the_window_closes() -> None:
    [alert] = alerts_for(changed(HEADLINE), ARTICLE, [channel(digest_seconds=1800)], NOW)
    assert alert.next_attempt_at == iso(NOW + timedelta(minutes=30))


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def store(tmp_path: Path):
    with Store.open(tmp_path) as opened:
        opened.add_article(ARTICLE.url, name="Dam", tags=["local"])
        yield opened


def enqueue(store: Store, hook: WebhookChannel, when: datetime) -> str:
    article = store.resolve(ARTICLE.url)
    alerts = alerts_for(changed(HEADLINE), article, [hook], when)
    store.record_check(article, status="changed", alerts=alerts)
    return alerts[0].delivery_id


def test_failed_delivery_is_retried_with_back_off_then_given_up(store: Store) -> None:
    hook = channel(url=f"http://127.0.0.1:{closed_port()}/hook")
    policy = DeliverySettings(retry_base=10, retry_max=40, give_up_after=3600)
    delivery_id = enqueue(store, hook, NOW)
    retry_times = []
    moment = NOW
    for _ in range(4):
        [outcome] = deliver_due(store, [hook], moment, policy=policy)
        assert outcome.error and "connection refused" in outcome.error
        [pending] = store.alerts()
        retry_times.append((datetime.fromisoformat(pending.next_attempt_at) - moment).total_seconds())
        moment = datetime.fromisoformat(pending.next_attempt_at)
    assert retry_times == [10, 20, 40, 40]
    assert deliver_due(store, [hook], moment - timedelta(seconds=1), policy=policy) == [], "nothing due before the retry time"
    late = NOW + timedelta(hours=2)
    deliver_due(store, [hook], late, policy=policy)
    [failed] = store.alerts(("failed",))
    assert (failed.delivery_id, failed.attempts) == (delivery_id, 5)
    assert store.alert_counts() == {"failed": 1}


def test_alerts_for_a_removed_channel_fail_at_once(store: Store) -> None:
    enqueue(store, channel("gone-channel"), NOW)
    [outcome] = deliver_due(store, [], NOW)
    assert outcome.error == "channel 'gone-channel' is no longer configured"
    assert store.alert_counts() == {"failed": 1}
