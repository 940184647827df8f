"""`monitor run`: check every article on its own schedule, and deliver the alerts that fall due.

Each article is one APScheduler (3.x) job with a one-shot date trigger, re-armed after every check
from the schedule rules below and persisted as `next_due_at` in the store, so a restart resumes
every schedule; checks that fell due while the daemon was down are spread over
`schedule.restart_spread` instead of firing at once. Fetch bounds (global, per host, minimum delay
per host) live in the fetcher, so any number of due jobs respects them.

The store is the only state: a check commits its result and its alerts in one transaction, so a
daemon killed at any moment resumes without losing an edit or an alert.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import random
import signal
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from monitor.config import Config, ScheduleSettings
from monitor.errors import MonitorError, StorageError, UsageError
from monitor.fetch import Fetcher
from monitor.models import CheckResult, WatchedArticle
from monitor.outbox import deliver_due
from monitor.pipeline import check_article
from monitor.store import Store, iso

LOCK_NAME = "monitor.lock"
# Seconds a stopping daemon waits for running checks and deliveries before abandoning them.
STOP_GRACE = 5.0
DELIVERY_JOB = "deliver alerts"
SYNC_JOB = "sync articles"

log = logging.getLogger("monitor")


# Schedule rules (pure) --------------------------------------------------------------------------


def interval_for(article: WatchedArticle, settings: ScheduleSettings, now: datetime) -> int:
    """Seconds between checks: the article's own interval, else adaptive to its age and activity."""
    if article.interval_seconds:
        return article.interval_seconds
    changed = _parse(article.last_changed_at)
    if changed and (now - changed).total_seconds() < settings.recent_change:
        return settings.after_change
    born = _parse(article.published_at) or _parse(article.added_at) or now
    age = (now - born).total_seconds()
    return next((interval for limit, interval in settings.tiers if age < limit), settings.final_interval)


def next_check_at(
    article: WatchedArticle, result: CheckResult, settings: ScheduleSettings, now: datetime, rng: random.Random
) -> datetime | None:
    """When to check `article` next after `result` (the article as stored after it); None stops checking."""
    if result.status == "gone" and article.gone_checks >= settings.gone_after:
        return None
    delay = float(interval_for(article, settings, now))
    if result.status in ("error", "gone"):
        failures = max(article.failures, article.gone_checks, 1)
        delay = min(delay * 2 ** (failures - 1), max(delay, settings.max_backoff))
    delay *= 1 + rng.uniform(-settings.jitter, settings.jitter)
    if result.retry_after:
        delay = max(delay, result.retry_after)
    return now + timedelta(seconds=delay)


def initial_due(stored: Mapping[str, str | None], settings: ScheduleSettings, now: datetime) -> dict[str, datetime]:
    """Each article's first run from its stored due time (id -> ISO time or None), overdue ones
    spread over `restart_spread` in due order."""
    due = {article_id: _parse(when) or now for article_id, when in stored.items()}
    overdue = sorted((article_id for article_id, when in due.items() if when <= now), key=due.__getitem__)
    step = settings.restart_spread / max(1, len(overdue))
    for index, article_id in enumerate(overdue):
        due[article_id] = now + timedelta(seconds=index * step)
    return due


def _parse(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# Lock -------------------------------------------------------------------------------------------


@contextmanager
def daemon_lock(data_dir: Path) -> Iterator[None]:
    """Hold the data folder's lock for the life of the daemon; a second daemon is refused."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / LOCK_NAME
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            pid = handle.read().strip() or "unknown"
            raise StorageError(f"another `monitor run` (pid {pid}) is already using {data_dir}") from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        yield


def daemon_pid(data_dir: Path) -> int | None:
    """The pid of the daemon holding `data_dir`'s lock, or None when no daemon runs."""
    path = data_dir / LOCK_NAME
    if not path.exists():
        return None
    with open(path) as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            text = handle.read().strip()
            return int(text) if text.isdigit() else -1
        fcntl.flock(handle, fcntl.LOCK_UN)
    return None


# The daemon -------------------------------------------------------------------------------------


class Daemon:
    """The running service: one scheduler job per article, plus delivery and sync jobs."""

    def __init__(self, config: Config, store: Store) -> None:
        self.config = config
        self.store = store
        self.rng = random.Random()
        self.scheduler = AsyncIOScheduler(
            timezone=UTC, job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None}
        )
        self.delivery = _DeliveryThread(config, store.root)
        self.fetcher: Fetcher | None = None
        self._failing_hosts: set[str] = set()
        # Articles with a check armed or running. Not the scheduler's job list: a fired one-shot job
        # leaves it before its check starts, and the article must not look new to `_sync` meanwhile.
        self._scheduled: set[str] = set()
        self._in_flight: dict[str, asyncio.Task[None]] = {}

    async def run(self, stop: asyncio.Event) -> None:
        """Run until `stop` is set; leaves the store consistent whenever it returns."""
        self.fetcher = Fetcher(self.config.http)
        now = datetime.now(UTC)
        schedulable = self.store.schedulable(self.config.schedule.gone_after)
        for article_id, due in initial_due(schedulable, self.config.schedule, now).items():
            self._arm(article_id, due)
        if self.config.channels:
            self.delivery.start()
            self.scheduler.add_job(
                self._wake_delivery, "interval", seconds=self.config.delivery.interval, id=DELIVERY_JOB, next_run_time=now
            )
        self.scheduler.add_job(self._sync, "interval", seconds=self.config.schedule.sync_interval, id=SYNC_JOB)
        self.scheduler.start()
        _event("start", articles=len(schedulable), channels=len(self.config.channels), data=str(self.store.root))
        try:
            await stop.wait()
        finally:
            await self._stop()

    async def _stop(self) -> None:
        """Start nothing new, give running checks a moment to commit, then abandon the rest.

        Abandoning is safe at any await point: a check writes only in synchronous transactions, and
        an alert send cut short is sent again (at least once, same delivery id).
        """
        self.scheduler.pause()
        if self._in_flight:
            await asyncio.wait(list(self._in_flight.values()), timeout=STOP_GRACE)
        self.scheduler.shutdown(wait=False)
        await asyncio.sleep(0)  # lets the shutdown cancel what is still running
        assert self.fetcher is not None
        await self.fetcher.aclose()
        self.delivery.stop()
        _event("stop")

    def _arm(self, article_id: str, due: datetime) -> None:
        self._scheduled.add(article_id)
        self.scheduler.add_job(
            self._check, "date", run_date=due, args=[article_id, due.timestamp()], id=article_id, replace_existing=True
        )

    async def _wake_delivery(self) -> None:
        self.delivery.wake()

    async def _check(self, article_id: str, due_timestamp: float) -> None:
        started = datetime.now(UTC)
        task = asyncio.current_task()
        assert task is not None
        self._in_flight[article_id] = task
        try:
            await self._check_and_rearm(article_id, started.timestamp() - due_timestamp)
        except asyncio.CancelledError:
            _event("check-abandoned", article_id=article_id, reason="stopping")  # nothing was half written
        except MonitorError as exc:  # the store failed, or the article was removed while it was checked
            _event("check-failed", article_id=article_id, error=str(exc))
            self._scheduled.discard(article_id)  # `_sync` arms it again if it still exists
        finally:
            self._in_flight.pop(article_id, None)

    async def _check_and_rearm(self, article_id: str, lag: float) -> None:
        try:
            article = self.store.get_article(article_id)
        except UsageError:
            self._scheduled.discard(article_id)
            return  # removed while it waited
        assert self.fetcher is not None
        result = await check_article(article, self.fetcher, self.store, self.config.site_rules, self.config.channels)
        after = self.store.get_article(article_id)
        due = next_check_at(after, result, self.config.schedule, datetime.now(UTC), self.rng)
        # The lag runs to the request itself: a job that starts on time but waits for the fetch bounds is late.
        _event("check", **_check_fields(result), lag_s=round(lag + result.queued_ms / 1000, 3))
        self._note_site_rule(result)
        if result.moved_to:
            _event("moved", article_id=article_id, url=article.url, moved_to=result.moved_to)
        if due is None:
            _event("stopped", article_id=article_id, url=article.url, reason=f"gone {after.gone_checks} times in a row")
            self._scheduled.discard(article_id)
            return
        self.store.set_next_due(article_id, iso(due))
        self._arm(article_id, due)

    def _note_site_rule(self, result: CheckResult) -> None:
        """Say once per host that its site rule stopped matching, and once that it works again."""
        host = urlsplit(result.url).hostname or ""
        if result.error and result.error.startswith("extraction failed for host"):
            if host not in self._failing_hosts:
                self._failing_hosts.add(host)
                _event("extraction-failed", host=host, error=result.error)
        elif result.status != "error" and host in self._failing_hosts:
            self._failing_hosts.discard(host)
            _event("extraction-recovered", host=host)

    async def _sync(self) -> None:
        """Pick up articles added or removed by other commands while the daemon runs."""
        current = self.store.schedulable(self.config.schedule.gone_after)  # ids only: this runs every sync_interval
        now = datetime.now(UTC)
        for article_id in current.keys() - self._scheduled:
            self._arm(article_id, _parse(current[article_id]) or now)
        for article_id in self._scheduled - current.keys():
            self._scheduled.discard(article_id)
            if self.scheduler.get_job(article_id):
                self.scheduler.remove_job(article_id)


class _DeliveryThread:
    """Sends due alerts from a thread of its own with a store connection of its own, so a slow SMTP
    server never stalls a check. A daemon thread: on stop it is abandoned mid-send if need be, which
    at-least-once delivery makes safe (the alert stays pending and goes out after the restart)."""

    def __init__(self, config: Config, root: Path) -> None:
        self.config = config
        self.root = root
        self._wake = threading.Event()
        self._stopping = False
        self._thread = threading.Thread(target=self._serve, name="delivery", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        if self._thread.ident is None:
            return  # never started: no channels
        self._stopping = True
        self._wake.set()
        self._thread.join(timeout=STOP_GRACE)

    def _serve(self) -> None:
        store: Store | None = None
        try:
            while True:
                self._wake.wait()
                self._wake.clear()
                if self._stopping:
                    return
                store = store or Store.open(self.root)
                self._deliver(store)
        finally:
            if store is not None:
                store.close()

    def _deliver(self, store: Store) -> None:
        try:
            outcomes = deliver_due(store, self.config.channels, datetime.now(UTC), policy=self.config.delivery)
        except MonitorError as exc:  # the store is busy or unreadable: try again at the next wake
            _event("delivery-error", error=str(exc))
            return
        for outcome in outcomes:
            _event("delivery", channel=outcome.channel, alerts=len(outcome.delivery_ids), error=outcome.error)


def _check_fields(result: CheckResult) -> dict[str, object]:
    return {
        "article_id": result.article_id,
        "url": result.url,
        "status": result.status,
        "version": result.version,
        "summary": result.summary,
        "error": result.error,
        "suspect": result.suspect,
        "stealth": result.stealth or None,
    }


def _event(event: str, **fields: object) -> None:
    log.info(event, extra={"fields": {k: v for k, v in fields.items() if v is not None}})


# Entry point ------------------------------------------------------------------------------------


def run_daemon(config: Config, data_dir: Path) -> None:
    """Run `monitor run` until SIGTERM or SIGINT; refuses a second daemon on the same data folder."""
    with daemon_lock(data_dir), Store.open(data_dir) as store:
        for entry in config.articles:
            store.add_article(entry.url, name=entry.name, interval_seconds=entry.interval_seconds, tags=entry.tags)
        asyncio.run(_serve(Daemon(config, store)))


async def _serve(daemon: Daemon) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await daemon.run(stop)
