"""The `monitor` command: a thin layer over the pipeline, the store and the renderers.

Every `MonitorError` becomes one line on stderr and an exit code here, and nowhere else:
0 success, 1 runtime failure, 2 usage or config error.
"""

from __future__ import annotations

import asyncio
import gc
import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

from monitor import review, shards
from monitor.blame import blame as blame_versions
from monitor.classify import classify, is_stealth, summarize
from monitor.config import Config, load_config, parse_interval
from monitor.diff import diff_articles
from monitor.errors import DeliveryError, MonitorError, UsageError
from monitor.extract import extract_article
from monitor.fetch import validate_url
from monitor.logs import configure_logging
from monitor.models import Alert, CheckResult, WatchedArticle
from monitor.store import Store, iso

# How a site rule that stopped matching is reported (see SiteRuleMismatch): once per host, not per article.
SITE_RULE_FAILURE = "extraction failed for host"

JSON_OPTION = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")


class Context:
    """What every command shares: the loaded config and, on demand, the store."""

    def __init__(self, config_path: str | None, data_dir: str | None) -> None:
        self._config_path = config_path
        self._data_dir = data_dir
        self._config: Config | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            self._config = load_config(self._config_path)
        return self._config

    @property
    def explicit_data_dir(self) -> str | None:
        """The data folder given with --data, if any."""
        return self._data_dir

    @property
    def data_dir(self) -> Path:
        return Path(self._data_dir) if self._data_dir else self.config.data_dir

    @contextmanager
    def store(self) -> Iterator[Store]:
        store = Store.open(self.data_dir)
        try:
            for entry in self.config.articles:
                store.add_article(entry.url, name=entry.name, interval_seconds=entry.interval_seconds, tags=entry.tags)
            yield store
        finally:
            store.close()


pass_context = click.make_pass_decorator(Context)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", metavar="PATH", help="Config file (default: $MONITOR_CONFIG, then ./config/monitor.toml).")
@click.option("--data", "data_dir", metavar="DIR", help="Data folder (overrides the config's data_dir).")
@click.version_option(package_name="article-monitor")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, data_dir: str | None) -> None:
    """Watch news articles, keep every version, and say exactly what changed."""
    ctx.obj = Context(config_path, data_dir)


def _emit_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def _emit_json_line(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False))


@cli.command()
@click.argument("urls", nargs=-1, required=True)
@click.option("--name", help="A name to show instead of the URL (one URL only).")
@click.option("--interval", help="How often to check, e.g. 15m, 1h, 1d.")
@click.option("--tag", "tags", multiple=True, help="A tag; repeat for several.")
@click.option("--no-fetch", is_flag=True, help="Only record the URL; fetch it at the next check.")
@JSON_OPTION
@click.pass_context
def add(ctx: click.Context, urls: tuple[str, ...], name: str | None, interval: str | None, tags: tuple[str, ...], no_fetch: bool, as_json: bool) -> None:
    """Watch article URLs ("-" reads them from standard input, one a line)."""
    obj: Context = ctx.obj
    candidates = _read_url_lines(sys.stdin) if urls == ("-",) else list(urls)
    valid = [validate_url(url) for url in candidates]
    if name and len(valid) > 1:
        raise UsageError("--name needs exactly one URL")
    try:
        interval_seconds = parse_interval(interval) if interval else None
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    with obj.store() as store:
        added = []
        for url in dict.fromkeys(valid):
            article, is_new = store.add_article(url, name=name, interval_seconds=interval_seconds, tags=tags)
            if not as_json:
                click.echo(f"{'added' if is_new else 'already watched'}  {article.id}  {url}")
            if is_new:
                added.append(article)
        results = _run_checks(obj.config, store, added, as_json) if added and not no_fetch else []
    if any(result.status in ("error", "gone") for result in results):
        ctx.exit(1)


def _read_url_lines(stream: Any) -> list[str]:
    lines = [line.strip() for line in stream]
    return [line for line in lines if line and not line.startswith("#")]


@cli.command(name="list")
@JSON_OPTION
@pass_context
def list_articles(obj: Context, as_json: bool) -> None:
    """List watched articles."""
    with obj.store() as store:
        articles = store.articles()
    if as_json:
        _emit_json([_article_json(article) for article in articles])
    elif articles:
        review.make_console().print(review.article_table(articles))
    else:
        click.echo("no articles watched yet; add one with `monitor add URL`")


def _article_json(article: WatchedArticle) -> dict[str, Any]:
    return {
        "article_id": article.id,
        "url": article.url,
        "name": article.name,
        "interval_seconds": article.interval_seconds,
        "tags": list(article.tags),
        "added_at": article.added_at,
        "final_url": article.final_url,
        "versions": article.latest_version or 0,
        "last_checked_at": article.last_checked_at,
        "last_status": article.last_status,
        "gone": article.gone,
    }


@cli.command()
@click.argument("refs", nargs=-1, required=True, metavar="URL|ID...")
@JSON_OPTION
@pass_context
def remove(obj: Context, refs: tuple[str, ...], as_json: bool) -> None:
    """Stop watching articles and delete their stored versions."""
    with obj.store() as store:
        articles = [store.resolve(ref) for ref in refs]
        for article in articles:
            store.remove_article(article)
            if not as_json:
                click.echo(f"removed  {article.id}  {article.url}")
    if as_json:
        _emit_json([{"article_id": a.id, "url": a.url} for a in articles])


@cli.command()
@click.argument("refs", nargs=-1, metavar="[URL|ID]...")
@click.option("--all", "check_all", is_flag=True, help="Check every watched article.")
@JSON_OPTION
@click.pass_context
def check(ctx: click.Context, refs: tuple[str, ...], check_all: bool, as_json: bool) -> None:
    """Fetch articles now and store any new version (--json: one object per line)."""
    obj: Context = ctx.obj
    if not refs and not check_all:
        raise UsageError("name articles to check, or pass --all")
    with obj.store() as store:
        articles = store.articles() if check_all else [store.resolve(ref) for ref in refs]
        results = _run_checks(obj.config, store, articles, as_json)
        if obj.config.channels:
            _deliver_now(obj.config, store)
    if any(result.status == "error" for result in results):
        ctx.exit(1)


def _run_checks(config: Config, store: Store, articles: Sequence[WatchedArticle], as_json: bool) -> list[CheckResult]:
    """Check `articles` concurrently, printing each result as it arrives."""
    console = review.make_console()
    show_progress = not as_json and sys.stderr.isatty() and len(articles) > 1
    progress = Progress(
        TextColumn("checking"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=review.make_console(stderr=True), transient=True, disable=not show_progress,
    )

    site_failures: dict[str, int] = {}

    async def run() -> list[CheckResult]:
        results = []
        task = progress.add_task("check", total=len(articles))
        async for result in shards.check_all(articles, config, store):
            results.append(result)
            progress.advance(task)
            if as_json:
                _emit_json_line(result.to_dict())
            elif result.error and result.error.startswith(SITE_RULE_FAILURE):
                site_failures[result.error] = site_failures.get(result.error, 0) + 1  # said once per host, below
            else:
                (progress.console if show_progress else console).print(review.check_line(result))
        return results

    with progress:
        results = asyncio.run(run())
    for error, count in site_failures.items():
        console.print(Text(f"error     {error} ({count} article{'s' if count != 1 else ''})", style="bold red"))
    return results


def _deliver_now(config: Config, store: Store) -> None:
    """Send the alerts that are due (for `check` run from cron, with no daemon); reports go to stderr."""
    from monitor.outbox import deliver_due

    for outcome in deliver_due(store, config.channels, datetime.now(UTC)):
        verdict = f"failed ({outcome.error}), will retry" if outcome.error else "sent"
        click.echo(f"alert on {outcome.channel}: {len(outcome.delivery_ids)} {verdict}", err=True)


@cli.command()
@click.argument("ref", metavar="URL|ID")
@JSON_OPTION
@pass_context
def log(obj: Context, ref: str, as_json: bool) -> None:
    """List the stored versions of an article, newest first."""
    with obj.store() as store:
        article = store.resolve(ref)
        versions = store.versions(article.id)
    if as_json:
        _emit_json([
            {
                "version": v.number, "fetched_at": v.fetched_at, "content_hash": v.content_hash, "headline": v.headline,
                "kinds": list(v.kinds), "suspect": v.suspect,
            }
            for v in versions
        ])
    else:
        review.make_console().print(review.log_view(article, versions))


def _with_versions(store: Store, ref: str) -> WatchedArticle:
    """The article `ref` names, which must have at least one stored version."""
    article = store.resolve(ref)
    if article.latest_version is None:
        raise UsageError(f"article {article.id} has no stored version yet; run `monitor check {article.id}`")
    return article


@cli.command()
@click.argument("ref", metavar="URL|ID")
@click.option("--from", "from_version", type=int, help="Older version (default: the one before --to).")
@click.option("--to", "to_version", type=int, help="Newer version (default: the latest).")
@JSON_OPTION
@pass_context
def diff(obj: Context, ref: str, from_version: int | None, to_version: int | None, as_json: bool) -> None:
    """Show what changed between two versions, grouped by kind."""
    with obj.store() as store:
        article = _with_versions(store, ref)
        newer = store.version(article.id, to_version or article.latest_version)
        older_number = from_version if from_version is not None else newer.number - 1
        if older_number < 1:
            raise UsageError(f"article {article.id} has only version {newer.number}; nothing to compare it with")
        older = store.version(article.id, older_number)
        before, after = store.load_article(article.id, older.number), store.load_article(article.id, newer.number)
    changes = classify(diff_articles(before, after))
    if as_json:
        _emit_json({
            "url": article.url, "article_id": article.id, "from_version": older.number, "to_version": newer.number,
            "changes": [change.to_dict() for change in changes],
            "summary": summarize(changes), "stealth": is_stealth(changes, before, after),
        })
    else:
        console = review.make_console()
        view = review.diff_view(
            article, older, newer, changes, summary=summarize(changes), stealth=is_stealth(changes, before, after),
            markers=review.needs_markers(console),
        )
        console.print(view)


@cli.command()
@click.argument("ref", metavar="URL|ID")
@JSON_OPTION
@pass_context
def blame(obj: Context, ref: str, as_json: bool) -> None:
    """Show each sentence of the latest version with the version that gave it its wording."""
    with obj.store() as store:
        article = _with_versions(store, ref)
        records = [record for record in store.versions(article.id) if not record.suspect]
        lines = blame_versions([store.load_article(article.id, record.number) for record in records])
    attributed = [(line, records[line.version_index]) for line in lines]
    if as_json:
        _emit_json([
            {"paragraph": line.paragraph, "sentence": line.sentence, "version": record.number, "fetched_at": record.fetched_at}
            for line, record in attributed
        ])
    else:
        review.make_console().print(review.blame_view(article, attributed))


@cli.command()
@click.argument("ref", metavar="URL|ID")
@click.option("--version", "number", type=int, help="Version number (default: the latest).")
@JSON_OPTION
@pass_context
def show(obj: Context, ref: str, number: int | None, as_json: bool) -> None:
    """Show one stored version of an article."""
    with obj.store() as store:
        article = _with_versions(store, ref)
        record = store.version(article.id, number or article.latest_version)
        extracted = store.load_article(article.id, record.number)
    if as_json:
        _emit_json({**extracted.to_dict(), "article_id": article.id, "url": article.url, "version": record.number, "fetched_at": record.fetched_at})
    else:
        review.make_console().print(review.show_view(article, record, extracted))


@cli.command()
@click.argument("source", metavar="FILE|-")
@click.option("--url", help="The page's URL (picks site rules, resolves relative links).")
@JSON_OPTION
@pass_context
def extract(obj: Context, source: str, url: str | None, as_json: bool) -> None:
    """Extract the article from an HTML file and print it (test site rules with this)."""
    html = _read_source(source)
    extracted = extract_article(html, url, rules=obj.config.site_rules)
    if as_json:
        _emit_json(extracted.to_dict())
        return
    console = review.make_console()
    if extracted.headline:
        console.print(Text(extracted.headline, style="bold"))
    for label in ("standfirst", "byline", "published", "modified", "canonical_url"):
        value = getattr(extracted, label)
        if value:
            console.print(Text(f"{label}: {value}", style="dim"))
    for paragraph in extracted.paragraphs:
        console.print(Text("\n" + paragraph))


def _read_source(source: str) -> bytes:
    if source == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(source).read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {source}: {exc.strerror}") from None


@cli.command()
@JSON_OPTION
@click.pass_context
def verify(ctx: click.Context, as_json: bool) -> None:
    """Re-hash every stored version and report any that do not match the index."""
    obj: Context = ctx.obj
    with obj.store() as store:
        count, problems = store.verify()
    if as_json:
        _emit_json({"versions_checked": count, "problems": [vars(p) for p in problems]})
    else:
        for problem in problems:
            click.echo(f"{problem.article_id} v{problem.version}: {problem.problem}")
        click.echo(f"verified {count} version{'s' if count != 1 else ''}: {len(problems) or 'no'} problem{'s' if len(problems) != 1 else ''}")
    if problems:
        ctx.exit(1)


@cli.command()
@click.option("--log-format", type=click.Choice(["plain", "json"]), default="plain", show_default=True, help="Log line format.")
@pass_context
def run(obj: Context, log_format: str) -> None:
    """Run as a service: check every article on its schedule and deliver alerts (stop with SIGTERM)."""
    from monitor.scheduler import run_daemon

    configure_logging(log_format)
    run_daemon(obj.config, obj.data_dir)


@cli.command()
@JSON_OPTION
@pass_context
def status(obj: Context, as_json: bool) -> None:
    """Whether the daemon runs, recent checks, the next due checks, failing articles, pending alerts."""
    from monitor.scheduler import daemon_pid

    with obj.store() as store:
        report = {
            "daemon_pid": daemon_pid(obj.data_dir),
            "checks_last_hour": store.checks_since(iso(datetime.now(UTC) - timedelta(hours=1))),
            "next_due": [
                {"article_id": a.id, "url": a.url, "due_at": a.next_due_at}
                for a in sorted((a for a in store.articles() if a.next_due_at), key=lambda a: a.next_due_at)[:10]
            ],
            "failing": [
                {"article_id": a.id, "url": a.url, "failures": a.failures, "status": a.last_status}
                for a in store.articles() if a.failures or a.gone
            ],
            "alerts": store.alert_counts(),
        }
    if as_json:
        _emit_json(report)
    else:
        review.make_console().print(review.status_view(report))


@cli.group(invoke_without_command=True)
@JSON_OPTION
@click.pass_context
def alerts(ctx: click.Context, as_json: bool) -> None:
    """List pending and failed alert deliveries."""
    if ctx.invoked_subcommand:
        return
    obj: Context = ctx.obj
    with obj.store() as store:
        waiting = store.alerts()
    if as_json:
        _emit_json([_alert_json(alert) for alert in waiting])
    else:
        review.make_console().print(review.alerts_table(waiting))


def _alert_json(alert: Alert) -> dict[str, Any]:
    return {
        "delivery_id": alert.delivery_id, "channel": alert.channel, "article_id": alert.article_id,
        "created_at": alert.created_at, "status": alert.status, "attempts": alert.attempts,
        "next_attempt_at": alert.next_attempt_at, "last_error": alert.last_error,
        "kinds": sorted({change["kind"] for change in alert.payload.get("changes", [])}),
        "event": alert.payload.get("status"),
    }


@alerts.command(name="test")
@JSON_OPTION
@click.pass_context
def alerts_test(ctx: click.Context, as_json: bool) -> None:
    """Send a test message on every configured channel and report each result."""
    from monitor.alerts import send_test

    obj: Context = ctx.obj
    if not obj.config.channels:
        raise UsageError("no alert channels are configured ([[alerts]] in the config)")
    results = []
    for channel in obj.config.channels:
        try:
            send_test(channel)
            results.append({"channel": channel.name, "ok": True, "error": None})
        except DeliveryError as exc:
            results.append({"channel": channel.name, "ok": False, "error": str(exc)})
    if as_json:
        _emit_json(results)
    else:
        for result in results:
            click.echo(f"{result['channel']}: {'sent' if result['ok'] else 'failed: ' + result['error']}")
    if not all(result["ok"] for result in results):
        ctx.exit(1)


@cli.command()
@click.option("--data", "demo_data", metavar="DIR", help="Keep the demo's data here (default: a temporary folder).")
@JSON_OPTION
@pass_context
def demo(obj: Context, demo_data: str | None, as_json: bool) -> None:
    """Watch a locally served article while it is edited, offline, and show what was caught."""
    from monitor.demo import run_demo

    chosen = demo_data or obj.explicit_data_dir
    if not run_demo(Path(chosen) if chosen else None, as_json=as_json):
        raise click.exceptions.Exit(1)


def main() -> None:
    """Entry point: run the CLI and turn every expected failure into one line and an exit code."""
    # A pass keeps thousands of checks alive while it allocates briskly; at the default gen-0
    # threshold (700) the cyclic collector rescans them constantly (about 10% of a pass's CPU,
    # benchmarks/check_pass.py). Freeze what start-up made and collect less often.
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)
    try:
        code = cli.main(standalone_mode=False)
    except click.ClickException as exc:
        exc.show()
        code = exc.exit_code
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        code = 130
    except MonitorError as exc:
        click.echo(f"monitor: error: {exc}", err=True)
        code = exc.exit_code
    except KeyboardInterrupt:
        code = 130
    sys.exit(code or 0)
