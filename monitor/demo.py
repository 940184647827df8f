"""`monitor demo`: watch a locally served article while it is edited, offline, and show each catch.

The page is served from 127.0.0.1 with real page furniture whose noise changes on every request
(an "updated N minutes ago" line, rotating related links, a view count). After every edit the
monitor checks once, and prints what it caught as `monitor diff` shows it; then it checks again
with no edit, to show that the noise alone is never reported as a change.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.text import Text

from monitor import review
from monitor.config import Config, HttpSettings
from monitor.demo_article import DEMO_PATH, EDITS, ORIGINAL, DemoStory, page_renderer
from monitor.localsite import LocalSite
from monitor.models import CheckResult, WatchedArticle
from monitor.pipeline import check_many
from monitor.store import Store


@contextmanager
def _data_folder(chosen: Path | None) -> Iterator[Path]:
    if chosen is not None:
        yield chosen
        return
    with tempfile.TemporaryDirectory(prefix="monitor-demo-") as tmp:
        yield Path(tmp)


class _DemoRun:
    """The served story, the store and the console of one demo run."""

    def __init__(self, site: LocalSite, store: Store, config: Config, console: Console, as_json: bool) -> None:
        self.site = site
        self.url = site.publish(DEMO_PATH, page_renderer(ORIGINAL))
        self.store = store
        self.config = config
        self.console = console
        self.as_json = as_json
        self.problems: list[str] = []

    def check(self, article: WatchedArticle) -> CheckResult:
        async def once() -> CheckResult:
            return [result async for result in check_many([article], self.config, self.store)][0]

        result = asyncio.run(once())
        if self.as_json:
            print(json.dumps(result.to_dict(), ensure_ascii=False), flush=True)
        return result

    def article(self) -> WatchedArticle:
        return self.store.resolve(self.url)

    def expect_no_change(self, when: str) -> None:
        result = self.check(self.article())
        if result.status != "unchanged":
            self.problems.append(f"re-check {when} reported {result.status} {result.error or ''}".strip())
        elif not self.as_json:
            self.console.print(Text("  re-checked with no edit: unchanged (the page's noise was ignored)", style="dim"))

    def publish_edit(self, number: int, description: str, expected: tuple[str, ...], story: DemoStory) -> None:
        self.site.publish(DEMO_PATH, page_renderer(story))
        if not self.as_json:
            self.console.rule(f"Edit {number}: {description}")
        result = self.check(self.article())
        caught = tuple(sorted({change.kind for change in result.changes}))
        if result.status != "changed" or caught != tuple(sorted(expected)):
            self.problems.append(f"edit {number} ({description}): expected {', '.join(expected)}, got {result.status} {', '.join(caught)}")
        if not self.as_json and result.version and result.previous_version:
            article = self.article()
            before = self.store.version(article.id, result.previous_version)
            after = self.store.version(article.id, result.version)
            view = review.diff_view(
                article, before, after, result.changes, summary=result.summary or "", stealth=result.stealth,
                markers=review.needs_markers(self.console),
            )
            self.console.print(view)


def run_demo(data_dir: Path | None, *, as_json: bool = False) -> bool:
    """Run the demo; returns whether every edit was caught as expected and no noise was reported."""
    console = review.make_console()
    with _data_folder(data_dir) as root, LocalSite() as site, Store.open(root) as store:
        config = Config(data_dir=root, http=HttpSettings(allow_private_addresses=True, retries=0))
        run = _DemoRun(site, store, config, console, as_json)
        store.add_article(run.url, name="Demo: " + ORIGINAL.headline)
        if not as_json:
            console.print(Text(f"Serving a demo article at {run.url} and watching it (data in {root})", style="bold"))
        first = run.check(run.article())
        if first.status != "new":
            run.problems.append(f"first check reported {first.status} {first.error or ''}".strip())
        elif not as_json:
            console.print(f"Stored version 1: {len(run.store.load_article(first.article_id, 1).paragraphs)} paragraphs")
        run.expect_no_change("before any edit")
        for number, edit in enumerate(EDITS, start=1):
            run.publish_edit(number, edit.description, edit.kinds, edit.story)
            run.expect_no_change(f"after edit {number}")
        if not as_json:
            console.rule("Summary")
            versions = store.versions(run.article().id)
            console.print(review.log_view(run.article(), versions))
            verdict = "every edit caught, no false change" if not run.problems else "; ".join(run.problems)
            console.print(Text(verdict, style="bold green" if not run.problems else "bold red"))
    return not run.problems
