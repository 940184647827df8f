"""The daemon's schedule rules (pure functions) and its lock."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.config import ScheduleSettings
from monitor.errors import StorageError
from monitor.models import CheckResult, WatchedArticle
from monitor.scheduler import daemon_lock, daemon_pid, initial_due, interval_for, next_check_at
from monitor.store import iso

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
SETTINGS = ScheduleSettings(jitter=0.0)


def article(**fields: object) -> WatchedArticle:
    base = WatchedArticle(id="a1", url="https://news.example/a", name=None, interval_seconds=None, tags=(), added_at=iso(NOW))
    return replace(base, **fields)


def result(status: str = "unchanged", **fields: object) -> CheckResult:
    return CheckResult(url="https://news.example/a", article_id="a1", status=status, **fields)


@pytest.mark.parametrize(
    ("age", "interval"),
    [(timedelta(hours=1), 900), (timedelta(hours=5), 3600), (timedelta(days=3), 3 * 3600), (timedelta(days=20), 86400), (timedelta(days=90), 7 * 86400)],
)
def test_adaptive_interval_follows_age(age: timedelta, interval: int) -> None:
    assert interval_for(article(published_at=iso(NOW - age)), SETTINGS, NOW) == interval


def test_age_falls_back_to_when_added_and_own_interval_wins() -> None:
    assert interval_for(article(added_at=iso(NOW - timedelta(days=3))), SETTINGS, NOW) == 3 * 3600
    assert interval_for(article(interval_seconds=120, published_at=iso(NOW - timedelta(days=90))), SETTINGS, NOW) == 120


def test_recent_change_checks_faster_again() -> None:
    old = article(published_at=iso(NOW - timedelta(days=20)))
    assert interval_for(replace(old, last_changed_at=iso(NOW - timedelta(hours=1))), SETTINGS, NOW) == 900
    assert interval_for(replace(old, last_changed_at=iso(NOW - timedelta(hours=4))), SETTINGS, NOW) == 86400


def test_failures_back_off_exponentially_up_to_the_cap() -> None:
    young = article(published_at=iso(NOW))
    delays = [
        (next_check_at(replace(young, failures=n), result("error"), SETTINGS, NOW, random.Random(1)) - NOW).total_seconds()
        for n in (1, 2, 3, 10)
    ]
    assert delays == [900, 1800, 3600, 86400]


def test_retry_after_is_honoured_and_gone_stops_checking() -> None:
    young = article(published_at=iso(NOW), failures=1)
    assert next_check_at(young, result("error", retry_after=7200), SETTINGS, NOW, random.Random(1)) == NOW + timedelta(seconds=7200)
    assert next_check_at(replace(young, gone=True, gone_checks=2), result("gone"), SETTINGS, NOW, random.Random(1)) is not None
    assert next_check_at(replace(young, gone=True, gone_checks=3), result("gone"), SETTINGS, NOW, random.Random(1)) is None


def test_jitter_stays_within_bounds() -> None:
    settings = ScheduleSettings(jitter=0.1)
    rng = random.Random(7)
    delays = {(next_check_at(article(interval_seconds=1000), result(), settings, NOW, rng) - NOW).total_seconds() for _ in range(200)}
    assert min(delays) >= 900 and max(delays) <= 1100 and len(delays) > 100


def test_overdue_checks_are_spread_after_a_restart() -> None:
    overdue = {f"a{n}": iso(NOW - timedelta(minutes=n)) for n in range(10)}
    due = initial_due({**overdue, "later": iso(NOW + timedelta(hours=1)), "never": None}, ScheduleSettings(restart_spread=300), NOW)
    assert due["later"] == NOW + timedelta(hours=1)
    starts = sorted(due[article_id] for article_id in [*overdue, "never"])
    assert starts[0] == NOW and starts[-1] == NOW + timedelta(seconds=300 * 10 / 11)
    assert due["a9"] == NOW, "the longest overdue goes first"


def test_second_daemon_is_refused_by_the_lock(tmp_path: Path) -> None:
    assert daemon_pid(tmp_path) is None
    with daemon_lock(tmp_path):
        assert daemon_pid(tmp_path) is not None
        with pytest.raises(StorageError, match="already using"):
            with daemon_lock(tmp_path):
                pass
    assert daemon_pid(tmp_path) is None
