"""`monitor run` as a real process against real parts on 127.0.0.1 only: a local news site that edits
its article while the daemon runs, an aiosmtpd SMTP server and an HTTP webhook receiver.

Nothing here waits a fixed time to synchronise: every wait polls the store, the receivers or the
daemon's JSON log with a deadline (`wait_until`). The only sleeps are the random moments of the
SIGKILL test, drawn from a seeded RNG, which are the fault being injected.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import io
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from unittest import mock

import pytest

from monitor import cli
from monitor.demo_article import EDITS, ORIGINAL, DemoStory, page_renderer, render_page
from monitor.extract import extract_article
from monitor.localsite import Hit, LocalSite, Reply
from monitor.models import Alert
from monitor.scheduler import daemon_pid
from monitor.store import Store, content_hash

if TYPE_CHECKING:  # the servers are shared fixtures in conftest.py
    from conftest import SmtpServer, WebhookReceiver

SECRET_ENV = "MONITOR_TEST_HOOK_SECRET"
SECRET = "loopback-hook-key-7f3a"
PATH = "/news/dam"
# The email subject's wording per change kind (monitor.alerts.render), for an article named "Dam".
SUBJECT_NOUN = {"headline": "Headline", "quote": "Quote", "figure": "Figure", "text": "Text", "correction": "Correction",
                "minor": "Minor wording"}


# --------------------------------------------------------------------------- helpers


def wait_until(predicate: Callable[[], Any], timeout: float, what: str, interval: float = 0.05) -> Any:
    """Poll `predicate` until it returns something true (returned); AssertionError after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)


def toml_table(header: str, **values: Any) -> str:
    """A TOML table; strings, numbers, booleans and lists of strings are written as JSON writes them."""
    return "\n".join([header, *(f"{key} = {json.dumps(value)}" for key, value in values.items())]) + "\n"


def email_channel(name: str, port: int, **settings: Any) -> str:
    """An [[alerts]] email channel to 127.0.0.1:`port` (plain SMTP); `settings` add rule keys or override."""
    table = {
        "name": name, "type": "email", "smtp_host": "127.0.0.1", "smtp_port": port, "security": "plain",
        "from": "Monitor <monitor@news.example>", "to": ["desk@news.example"], "timeout": 5,
    }
    return toml_table("[[alerts]]", **{**table, **settings})


def webhook_channel(name: str, url: str, **settings: Any) -> str:
    """An [[alerts]] JSON webhook channel; `settings` add rule keys (kinds, tags, gone) or `secret_env`."""
    return toml_table("[[alerts]]", **{"name": name, "type": "webhook", "url": url, "format": "json", "timeout": 5, **settings})


def write_config(folder: Path, *channels: str, schedule: dict[str, Any] | None = None, http: dict[str, Any] | None = None) -> Path:
    """A config for fast daemon runs on loopback: 1 s delivery passes and retries, quick restarts."""
    path = folder / "monitor.toml"
    text = 'data_dir = "data"\n\n'
    text += toml_table("[http]", allow_private_addresses=True, connect_timeout=2.0, read_timeout=5.0, **(http or {}))
    text += toml_table("[schedule]", **{"restart_spread": "1s", "sync_interval": "1s", "max_backoff": "2s", **(schedule or {})})
    text += toml_table("[delivery]", interval="1s", retry_base="1s", retry_max="2s")
    path.write_text(text + "\n".join(channels))
    return path


@dataclass
class Ran:
    code: int
    out: str
    err: str


def monitor(config: Path, *args: str) -> Ran:
    """Run the real `monitor` entry point in-process (as tests/test_cli.py does)."""
    out, err = io.StringIO(), io.StringIO()
    code: Any = 0
    argv = ["monitor", "--config", str(config), *args]
    with mock.patch.object(sys, "argv", argv), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            cli.main()
        except SystemExit as exited:
            code = exited.code
    return Ran(int(code or 0), out.getvalue(), err.getvalue())


def add_article(config: Path, url: str, *options: str) -> str:
    ran = monitor(config, "add", url, "--no-fetch", "--json", *options)
    assert ran.code == 0, ran
    with Store.open(config.parent / "data") as store:
        article = store.find_by_url(url)
        assert article is not None
        return article.id


def story_hash(story: DemoStory, url: str) -> str:
    """The content hash the monitor stores for `story` (the page's noise does not enter it)."""
    return content_hash(extract_article(render_page(story, request_number=0), url))


def distinctive(story: DemoStory, before: DemoStory) -> str:
    """Text in `story` that was not in `before`: its new headline, else its first new paragraph."""
    if story.headline != before.headline:
        return story.headline
    return next(p for p in story.paragraphs if p not in before.paragraphs)


def all_alerts(store: Store, channel: str | None = None) -> list[Alert]:
    alerts = store.alerts(statuses=("pending", "failed", "delivered"))
    return [alert for alert in alerts if channel is None or alert.channel == channel]


def json_body(request: Any) -> dict[str, Any]:
    return json.loads(request.body)


def assert_signed(request: Any) -> None:
    expected = "sha256=" + hmac.new(SECRET.encode(), request.body, hashlib.sha256).hexdigest()
    assert request.headers.get("X-Monitor-Signature") == expected, "missing or wrong HMAC signature"


def latest_number(store: Store, article_id: str) -> int:
    latest = store.latest_version(article_id)
    return latest.number if latest else 0


# --------------------------------------------------------------------------- the daemon process


@dataclass
class DaemonRun:
    """One `monitor run` process; everything it writes goes to `log_path`."""

    process: subprocess.Popen[bytes]
    log_path: Path
    log_before_stop: str = ""  # the log as it was when SIGTERM was sent: what the daemon wrote while running

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def events(self, name: str | None = None) -> list[dict[str, Any]]:
        """The JSON log lines, `event == name` only when given."""
        events = []
        for line in self.text().splitlines():
            with contextlib.suppress(ValueError):
                event = json.loads(line)
                if isinstance(event, dict) and (name is None or event.get("event") == name):
                    events.append(event)
        return events

    def terminate(self, timeout: float = 10.0) -> int:
        self.log_before_stop = self.text()
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)

    def kill(self) -> None:
        self.log_before_stop = self.text()
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)


class Daemons:
    """Starts `monitor run` processes (the secret in their environment) and kills leftovers at teardown."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.runs: list[DaemonRun] = []
        self.env = {key: value for key, value in os.environ.items() if key != "MONITOR_CONFIG"}
        self.env[SECRET_ENV] = SECRET

    def start(self, config: Path, *, wait: bool = True) -> DaemonRun:
        log_path = self.folder / f"daemon-{len(self.runs) + 1}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "monitor", "--config", str(config), "run", "--log-format", "json"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=self.env, cwd=self.folder,
            )
        run = DaemonRun(process, log_path)
        self.runs.append(run)
        if wait:
            data = config.parent / "data"
            wait_until(lambda: daemon_pid(data) == run.pid or not run.alive(), 20, "the daemon to take its lock")
            assert run.alive(), f"the daemon exited with {run.process.returncode}:\n{run.text()}"
        return run

    def logs_before_stop(self) -> str:
        return "\n".join(run.log_before_stop for run in self.runs)

    def close(self) -> None:
        for run in self.runs:
            if run.alive():
                run.kill()


@pytest.fixture
def daemons(tmp_path: Path) -> Iterator[Daemons]:
    started = Daemons(tmp_path)
    try:
        yield started
    finally:
        started.close()


def assert_clean_log(text: str) -> None:
    """No traceback in what a daemon wrote while it ran (stopping is covered by its own tests below)."""
    assert text.strip(), "empty log"
    assert "Traceback" not in text, text


# --------------------------------------------------------------------------- edits while running


def test_edits_while_running_give_exactly_one_alert_per_matching_channel(
    tmp_path: Path, site: LocalSite, smtp: SmtpServer, receiver: WebhookReceiver, daemons: Daemons
) -> None:
    url = site.publish(PATH, page_renderer(ORIGINAL))
    config = write_config(
        tmp_path,
        email_channel("desk", smtp.port),
        webhook_channel("hook", receiver.url("/hook/all"), secret_env=SECRET_ENV),
        webhook_channel("sport", receiver.url("/hook/sport"), tags=["sport"]),  # the article is tagged flood
        webhook_channel("bylines", receiver.url("/hook/bylines"), kinds=["byline"], secret_env=SECRET_ENV),
    )
    article_id = add_article(config, url, "--interval", "1s", "--name", "Dam", "--tag", "flood")
    run = daemons.start(config)
    with Store.open(config.parent / "data") as store:
        wait_until(lambda: latest_number(store, article_id) == 1, 15, "the first version")
        for number, edit in enumerate(EDITS, start=2):
            site.publish(PATH, page_renderer(edit.story))
            wait_until(lambda: latest_number(store, article_id) >= number, 15, f"edit {number - 1} ({edit.description})")
        expected = 2 * len(EDITS)
        wait_until(lambda: store.alert_counts().get("delivered") == expected, 20, "every alert delivered")
        assert run.alive()
        assert run.terminate() == 0
        versions = store.versions(article_id)
        outbox = {(a.channel, a.payload["version"]): a for a in all_alerts(store)}

    assert [v.kinds for v in versions] == [()] + [tuple(sorted(edit.kinds)) for edit in EDITS]
    # Exactly one outbox row per edit on each matching channel, none on the others.
    assert sorted(outbox) == sorted((channel, n) for channel in ("desk", "hook") for n in range(2, len(EDITS) + 2))
    assert receiver.received("/hook/sport") == [] and receiver.received("/hook/bylines") == []

    mails = smtp.recorder.messages()
    assert len(mails) == len(EDITS)
    for number, edit in enumerate(EDITS, start=2):
        alert = outbox[("desk", number)]
        [mail] = [m for m in mails if m["X-Monitor-Delivery-Id"] == alert.delivery_id]
        assert mail["Subject"] == f"{SUBJECT_NOUN[edit.kinds[0]]} changed: Dam"

    posts = receiver.received("/hook/all")
    assert len(posts) == len(EDITS)
    for number, edit in enumerate(EDITS, start=2):
        alert = outbox[("hook", number)]
        [post] = [p for p in posts if p.headers["X-Monitor-Delivery-Id"] == alert.delivery_id]
        assert_signed(post)
        payload = json_body(post)
        assert (payload["status"], payload["version"], payload["delivery_id"]) == ("changed", number, alert.delivery_id)
        assert sorted({c["kind"] for c in payload["changes"]}) == sorted(edit.kinds)
        assert payload["article_name"] == "Dam" and payload["tags"] == ["flood"]
    assert_clean_log(run.log_before_stop)


# --------------------------------------------------------------------------- SMTP outage


def test_smtp_outage_every_alert_arrives_once_the_server_is_back(
    tmp_path: Path, site: LocalSite, smtp: SmtpServer, receiver: WebhookReceiver, daemons: Daemons
) -> None:
    url = site.publish(PATH, page_renderer(ORIGINAL))
    config = write_config(
        tmp_path, email_channel("desk", smtp.port), webhook_channel("hook", receiver.url("/hook"), secret_env=SECRET_ENV)
    )
    article_id = add_article(config, url, "--interval", "1s", "--name", "Dam")
    edits = EDITS[:3]
    run = daemons.start(config)
    with Store.open(config.parent / "data") as store:
        wait_until(lambda: latest_number(store, article_id) == 1, 15, "the first version")
        smtp.stop()
        for number, edit in enumerate(edits, start=2):
            site.publish(PATH, page_renderer(edit.story))
            wait_until(lambda: latest_number(store, article_id) >= number, 15, f"edit {number - 1}")

        def mail_failed_while_down() -> bool:
            desk = all_alerts(store, "desk")
            return len(desk) == len(edits) and all(a.attempts >= 1 and a.status == "pending" for a in desk)

        wait_until(mail_failed_while_down, 15, "every email alert to fail at least once while the server is down")
        assert all("connection refused" in (a.last_error or "") for a in all_alerts(store, "desk"))
        # The webhook channel is not held up by the broken one.
        wait_until(lambda: len(receiver.received("/hook")) == len(edits), 10, "the webhooks during the outage")
        assert smtp.recorder.envelopes == []

        smtp.start()  # same port
        wait_until(lambda: store.alert_counts() == {"delivered": 2 * len(edits)}, 20, "every alert delivered")
        desk = {a.payload["version"]: a for a in all_alerts(store, "desk")}
        assert run.terminate() == 0

    mails = smtp.recorder.messages()
    assert sorted(m["X-Monitor-Delivery-Id"] for m in mails) == sorted(a.delivery_id for a in desk.values())
    for number, edit in enumerate(edits, start=2):
        [mail] = [m for m in mails if m["X-Monitor-Delivery-Id"] == desk[number].delivery_id]
        assert mail["Subject"] == f"{SUBJECT_NOUN[edit.kinds[0]]} changed: Dam"
    assert_clean_log(run.log_before_stop)


# --------------------------------------------------------------------------- SIGKILL at random moments


def more_stories(last: DemoStory, count: int) -> list[DemoStory]:
    """Cumulative updates after the demo's edits, each appending a paragraph of new reporting."""
    stories, story = [], last
    for n in range(1, count + 1):
        paragraph = (
            f"Update {n}: By late afternoon the county had confirmed {n + 2} more rescues from the east bank, "
            f"and crews had cleared debris from {n * 3} streets in the lower valley."
        )
        story = replace(story, paragraphs=(*story.paragraphs, paragraph))
        stories.append(story)
    return stories


class Publisher(threading.Thread):
    """Publishes the next story as soon as the current one is stored as a version (each edit stays up
    until it has been seen), until stopped."""

    def __init__(self, site: LocalSite, data: Path, article_id: str, stories: list[DemoStory], hashes: list[str]) -> None:
        super().__init__(daemon=True)
        self.site, self.data, self.article_id, self.stories, self.hashes = site, data, article_id, stories, hashes
        self.index = 0
        self.halt = threading.Event()
        site.publish(PATH, page_renderer(stories[0]))

    def run(self) -> None:
        with Store.open(self.data) as store:
            while not self.halt.is_set() and self.index + 1 < len(self.stories):
                latest = store.latest_version(self.article_id)
                if latest is not None and latest.content_hash == self.hashes[self.index]:
                    self.index += 1
                    self.site.publish(PATH, page_renderer(self.stories[self.index]))
                self.halt.wait(0.05)

    def stop(self) -> int:
        """Stop publishing; returns how many stories were published."""
        self.halt.set()
        self.join(timeout=10)
        return self.index + 1


def test_sigkill_at_random_moments_loses_no_edit_and_no_alert(
    tmp_path: Path, site: LocalSite, receiver: WebhookReceiver, daemons: Daemons
) -> None:
    rng = random.Random(20260501)
    url = site.url(PATH)
    config = write_config(tmp_path, webhook_channel("hook", receiver.url("/hook"), secret_env=SECRET_ENV))
    data = config.parent / "data"
    article_id = add_article(config, url, "--interval", "1s", "--name", "Dam")
    stories = [ORIGINAL, *(edit.story for edit in EDITS), *more_stories(EDITS[-1].story, 30)]
    hashes = [story_hash(story, url) for story in stories]
    assert len(set(hashes)) == len(hashes)

    publisher = Publisher(site, data, article_id, stories, hashes)
    publisher.start()
    for _ in range(20):
        run = daemons.start(config)
        time.sleep(rng.uniform(0.0, 1.2))  # the random moment of the kill: the fault injected, not a wait
        assert run.alive(), run.text()
        run.kill()
    published = publisher.stop()
    assert published > len(EDITS), "too few edits were published to exercise the kills"

    final = daemons.start(config)
    with Store.open(data) as store:
        wait_until(lambda: latest_number(store, article_id) == published, 20, "the last published edit")
        wait_until(lambda: store.alert_counts().get("pending", 0) == 0, 20, "every alert delivered")
        assert final.terminate() == 0
        versions = store.versions(article_id)
        texts = {v.number: store.load_article(article_id, v.number) for v in versions}
        outbox = all_alerts(store, "hook")
        assert store.alert_counts() == {"delivered": len(outbox)}

    assert monitor(config, "verify").code == 0
    # No edit missed: each published story is exactly one stored version, in order, with its own text.
    assert [v.content_hash for v in versions] == hashes[:published]
    for index in range(1, published):
        text = distinctive(stories[index], stories[index - 1])
        stored = texts[index + 1]
        assert text == stored.headline or text in stored.paragraphs
    # No alert lost: every version with changes has an outbox alert that the receiver got; the ids
    # received are exactly the outbox's, and repeats (at least once) carry the same delivery id.
    posts = receiver.received("/hook")
    for post in posts:
        assert_signed(post)
    received = {post.headers["X-Monitor-Delivery-Id"] for post in posts}
    assert received == {alert.delivery_id for alert in outbox}
    ids_by_version: dict[int, set[str]] = {}
    for post in posts:
        payload = json_body(post)
        assert payload["delivery_id"] == post.headers["X-Monitor-Delivery-Id"]
        ids_by_version.setdefault(payload["version"], set()).add(payload["delivery_id"])
    assert all(len(ids) == 1 for ids in ids_by_version.values()), ids_by_version
    changed = {v.number for v in versions if v.kinds}
    assert changed == set(range(2, published + 1))
    assert changed <= set(ids_by_version)
    assert_clean_log(daemons.logs_before_stop())


# --------------------------------------------------------------------------- faults from the site


class Faults:
    """The site's hook: about 5% of responses a 500 or 503 with Retry-After: 1, about 10% slow (below
    the read timeout), from a seeded RNG; `force(path, status)` makes the next request to a path fail."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.forced: dict[str, int] = {}
        self.injected: Counter[str] = Counter()

    def force(self, path: str, status: int) -> None:
        with self.lock:
            self.forced[path] = status

    def __call__(self, hit: Hit) -> Reply | None:
        path = hit.path.split("?", 1)[0]
        with self.lock:
            status = self.forced.pop(path, None)
            roll, pick, delay = self.rng.random(), self.rng.random(), self.rng.uniform(0.2, 0.8)
            if status is None and roll < 0.05:
                status = 500 if pick < 0.5 else 503
            if status is not None:
                self.injected[str(status)] += 1
                return Reply(status=status, body=b"<html><body>Busy</body></html>", headers={"Retry-After": "1"})
            if roll < 0.15:
                self.injected["slow"] += 1
                return Reply(delay=delay)
        return None


def test_faults_from_the_site_crash_nothing_and_every_edit_is_caught_at_the_next_good_check(
    tmp_path: Path, receiver: WebhookReceiver, daemons: Daemons
) -> None:
    faults = Faults(seed=4242)
    served: list[int] = []  # the story index of each good response for article A, in order

    def tracked(index: int, story: DemoStory) -> Callable[[], bytes]:
        render = page_renderer(story)

        def body() -> bytes:
            served.append(index)
            return render()

        return body

    with LocalSite(hook=faults) as site:
        url_a = site.publish("/news/a", tracked(0, ORIGINAL))
        url_b = site.publish("/news/b", page_renderer(ORIGINAL))
        url_c = site.publish("/news/c", page_renderer(ORIGINAL))
        config = write_config(
            tmp_path,
            webhook_channel("hook", receiver.url("/hook"), gone=False, secret_env=SECRET_ENV),
            webhook_channel("gone-watch", receiver.url("/gone"), kinds=["byline"], gone=True),
            schedule={"gone_after": 2},
        )
        ids = {url: add_article(config, url, "--interval", "1s") for url in (url_a, url_b, url_c)}
        a, b, c = ids[url_a], ids[url_b], ids[url_c]
        run = daemons.start(config)
        with Store.open(config.parent / "data") as store:
            wait_until(lambda: all(latest_number(store, i) == 1 for i in (a, b, c)), 20, "the first versions")
            site.publish("/news/b", b"", status=410)
            site.publish("/news/c-moved", page_renderer(ORIGINAL))
            site.publish("/news/c", b"", status=301, headers={"Location": "/news/c-moved"})
            edits = EDITS[:4]
            for index, edit in enumerate(edits, start=1):
                faults.force("/news/a", 500 if index % 2 else 503)  # the first request after the edit fails
                site.publish("/news/a", tracked(index, edit.story))
                wait_until(lambda: latest_number(store, a) == index + 1, 20, f"edit {index} on the faulty site")
            wait_until(lambda: (store.get_article(c).final_url or "").endswith("/news/c-moved"), 15, "the redirect")
            assert latest_number(store, c) == 1  # the same story at its new address is no change
            site.publish("/news/c-moved", page_renderer(EDITS[0].story))
            wait_until(lambda: latest_number(store, c) == 2, 15, "the edit at the redirected address")
            wait_until(lambda: run.events("stopped"), 15, "the gone article to be given up")
            wait_until(lambda: store.alert_counts().get("pending", 0) == 0 and len(all_alerts(store)) == len(edits) + 2,
                       15, "every alert delivered")
            assert run.alive(), run.text()
            assert run.terminate() == 0
            a_checks = list(reversed(store.checks(a, limit=1000)))
            gone_article, redirected = store.get_article(b), store.get_article(c)
            c_versions = store.versions(c)
            a_versions = store.versions(a)
            b_checks = store.checks(b, limit=1000)

    assert faults.injected["500"] + faults.injected["503"] >= len(edits) and faults.injected["slow"] >= 1, faults.injected
    assert_clean_log(run.log_before_stop)
    assert any(check["status"] == "error" for check in a_checks)
    # Every true edit is caught at the next good check, and nothing else is reported as a change.
    good = [check["status"] for check in a_checks if check["status"] != "error"]
    assert len(good) <= len(served) <= len(good) + 1  # a response may be in flight when the daemon stops
    for k, status in enumerate(good):
        expected = "new" if k == 0 else "changed" if served[k] != served[k - 1] else "unchanged"
        assert status == expected, (k, good, served)
    assert [v.kinds for v in a_versions] == [()] + [tuple(sorted(edit.kinds)) for edit in edits]
    # 410: a gone event, one alert on the channel that wants gone events, then no more checks.
    assert gone_article.gone and any(check["status"] == "gone" for check in b_checks)
    [gone_post] = receiver.received("/gone")
    gone_payload = json_body(gone_post)
    assert (gone_payload["status"], gone_payload["article_id"], gone_payload["http_status"]) == ("gone", b, 410)
    # 301: followed to the new slug, and the edit there is caught.
    assert redirected.final_url == site.url("/news/c-moved")
    assert [(v.kinds, v.final_url) for v in c_versions] == [((), url_c), (("headline",), site.url("/news/c-moved"))]
    hook = [json_body(post) for post in receiver.received("/hook")]
    assert sorted((p["article_id"], p["version"]) for p in hook) == sorted(
        [(a, n) for n in range(2, len(edits) + 2)] + [(c, 2)]
    )
    assert all(p["status"] == "changed" for p in hook)


# --------------------------------------------------------------------------- lifecycle


def test_lifecycle_lock_status_sigterm_and_restart_resumes_schedules(
    tmp_path: Path, site: LocalSite, daemons: Daemons
) -> None:
    config = write_config(tmp_path, schedule={"restart_spread": "2s"})
    fast = [add_article(config, site.publish(f"/news/fast-{n}", page_renderer(ORIGINAL)), "--interval", "1s") for n in range(4)]
    slow = add_article(config, site.publish("/news/slow", page_renderer(ORIGINAL)), "--interval", "1h")
    data = config.parent / "data"

    first = daemons.start(config)
    with Store.open(data) as store:
        wait_until(lambda: all(latest_number(store, i) == 1 for i in [*fast, slow]), 15, "every article checked")
        status = monitor(config, "status", "--json")
        assert status.code == 0 and json.loads(status.out)["daemon_pid"] == first.pid

        second = subprocess.run(
            [sys.executable, "-m", "monitor", "--config", str(config), "run"],
            capture_output=True, text=True, timeout=30, env=daemons.env, cwd=tmp_path,
        )
        assert second.returncode == 1, second
        assert len(second.stderr.strip().splitlines()) == 1 and "already using" in second.stderr, second.stderr
        assert "Traceback" not in second.stderr
        assert first.alive()

        started = time.monotonic()
        assert first.terminate(timeout=10) == 0
        assert time.monotonic() - started < 10
        assert first.events("stop"), first.text()
        status = monitor(config, "status", "--json")
        assert status.code == 0 and json.loads(status.out)["daemon_pid"] is None

        slow_due = store.get_article(slow).next_due_at
        assert slow_due is not None

        def all_overdue() -> bool:
            now = datetime.now(UTC)
            return all(datetime.fromisoformat(store.get_article(i).next_due_at or "") < now for i in fast)

        wait_until(all_overdue, 10, "the fast articles to fall due while the daemon is down")
        restarted = daemons.start(config)

        def first_checks() -> dict[str, dict[str, Any]]:
            checks: dict[str, dict[str, Any]] = {}
            for event in restarted.events("check"):
                checks.setdefault(event["article_id"], event)
            return checks if set(fast) <= set(checks) else {}

        firsts = wait_until(first_checks, 15, "a check of every overdue article after the restart")
        assert restarted.alive()
        assert slow not in firsts  # not due yet: its schedule is resumed, not restarted
        assert store.get_article(slow).next_due_at == slow_due
        assert restarted.terminate() == 0

    times = sorted(datetime.fromisoformat(firsts[i]["time"]).timestamp() for i in fast)
    # Spread over restart_spread (2 s for 4 articles: 0.5 s apart), not all at once.
    assert times[-1] - times[0] >= 1.0, times
    assert all(later - earlier >= 0.2 for earlier, later in zip(times, times[1:])), times
    # Each ran when it was armed for, not late: the spread is the schedule, not a backlog.
    assert all(firsts[i]["lag_s"] < 1.0 for i in fast), [firsts[i]["lag_s"] for i in fast]
    assert_clean_log(first.log_before_stop + restarted.log_before_stop)


# --------------------------------------------------------------------------- stopping and logging under load


def test_json_log_has_only_json_lines_and_no_check_is_armed_twice(tmp_path: Path, daemons: Daemons) -> None:
    # Every check takes 2.2 s, so at least two passes of the 1 s sync job happen while it is in flight.
    with LocalSite(hook=lambda hit: Reply(delay=2.2)) as site:
        url = site.publish(PATH, page_renderer(ORIGINAL))
        config = write_config(tmp_path)
        article_id = add_article(config, url, "--interval", "1s")
        run = daemons.start(config)
        with Store.open(config.parent / "data") as store:
            wait_until(lambda: store.checks(article_id), 20, "a check of a slow page")
        run.terminate()
    lines = [line for line in run.log_before_stop.splitlines() if line.strip()]
    not_json = [line for line in lines if not line.startswith("{")]
    assert not_json == [], not_json


def test_sigterm_stops_within_10_s_even_while_a_delivery_hangs(tmp_path: Path, site: LocalSite, daemons: Daemons) -> None:
    listener = socket.create_server(("127.0.0.1", 0))  # accepts connections, never says a word (a hung SMTP server)
    connections: list[socket.socket] = []
    accepter = threading.Thread(target=lambda: connections.append(listener.accept()[0]), daemon=True)
    accepter.start()
    try:
        url = site.publish(PATH, page_renderer(ORIGINAL))
        config = write_config(tmp_path, email_channel("desk", listener.getsockname()[1], timeout=20))
        article_id = add_article(config, url, "--interval", "1s")
        run = daemons.start(config)
        with Store.open(config.parent / "data") as store:
            wait_until(lambda: latest_number(store, article_id) == 1, 15, "the first version")
            site.publish(PATH, page_renderer(EDITS[0].story))
            wait_until(lambda: latest_number(store, article_id) == 2, 15, "the edit")
        wait_until(lambda: connections, 15, "the delivery to connect to the hung server")
        started = time.monotonic()
        run.process.send_signal(signal.SIGTERM)
        try:
            code: int | None = run.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            code = None
        elapsed = time.monotonic() - started
        assert code == 0 and elapsed < 10, (code, round(elapsed, 1), run.text()[-2000:])
    finally:
        listener.close()
        for connection in connections:
            connection.close()


def test_sigterm_during_a_check_in_flight_exits_0_without_a_traceback(tmp_path: Path, daemons: Daemons) -> None:
    with LocalSite(hook=lambda hit: Reply(delay=3.0)) as site:  # a slow page, below the read timeout
        url = site.publish(PATH, page_renderer(ORIGINAL))
        config = write_config(tmp_path)
        add_article(config, url, "--interval", "1s")
        run = daemons.start(config)
        wait_until(lambda: site.hits, 15, "the first check to be in flight")
        assert run.terminate(timeout=10) == 0
    assert run.events("stop")
    assert_clean_log(run.text())
