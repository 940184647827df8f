"""Terminal rendering of check results, logs, diffs and versions (rich renderables).

With colour, deleted words are red and struck through and inserted words green; without colour
(a pipe, a file, NO_COLOR) the same diff is marked `[-deleted-]{+inserted+}` like `git diff
--word-diff=plain`, so the output stays readable anywhere.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from monitor.diff import word_diff
from monitor.blame import BlameLine
from monitor.models import SEVERITY, Alert, Article, Change, CheckResult, VersionRecord, WatchedArticle, WordSpan

KIND_ORDER = ("headline", "standfirst", "byline", "correction", "quote", "figure", "text", "minor", "move")
STATUS_STYLE = {"new": "cyan", "unchanged": "dim", "changed": "bold yellow", "gone": "magenta", "error": "bold red"}


def words_text(spans: Sequence[WordSpan], *, markers: bool) -> Text:
    """A word-level diff as styled text, with plain-text markers when colour is off."""
    text = Text()
    for span in spans:
        if span.op == "equal":
            text.append(span.text)
        elif span.op == "delete":
            text.append(f"[-{span.text}-]" if markers else span.text, style="red strike")
        else:
            text.append(f"{{+{span.text}+}}" if markers else span.text, style="green")
    return text


def article_title(article: WatchedArticle) -> str:
    return article.name or article.url


def check_line(result: CheckResult) -> Text:
    """One line per checked article: status, id, version and what changed or went wrong."""
    line = Text()
    line.append(f"{result.status:<9}", style=STATUS_STYLE.get(result.status, ""))
    line.append(f" {result.article_id}  ")
    if result.version is not None:
        line.append(f"v{result.version}  ")
    line.append(result.url)
    if result.summary and result.changes:
        line.append(f"  {result.summary}", style="yellow")
    if result.stealth:
        line.append("  [stealth edit]", style="bold red")
    if result.headline_test:
        line.append(f"  [headline test: {len(result.headline_test)} variants]", style="magenta")
    if result.suspect:
        line.append(f"  [suspect: {result.suspect}]", style="magenta")
    if result.moved_to:
        line.append(f"  [moved to {result.moved_to}]", style="magenta")
    if result.error:
        line.append(f"  {result.error}", style="red")
    return line


def _kinds_in_order(changes: Sequence[Change]) -> list[str]:
    present = {change.kind for change in changes}
    return [kind for kind in KIND_ORDER if kind in present]


def article_table(articles: Sequence[WatchedArticle]) -> Table:
    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("id", "versions", "last check", "status", "tags", "article"):
        table.add_column(column)
    for article in articles:
        table.add_row(
            article.id,
            str(article.latest_version or 0),
            _short_time(article.last_checked_at) if article.last_checked_at else "never",
            Text(article.last_status or "-", style=STATUS_STYLE.get(article.last_status or "", "")),
            ",".join(article.tags),
            article_title(article) if not article.name else f"{article.name}  {article.url}",
        )
    return table


def log_view(article: WatchedArticle, versions: Sequence[VersionRecord]) -> RenderableType:
    """Every version of an article, newest first, like `git log --oneline` with times and kinds."""
    lines: list[RenderableType] = [Text(f"{article.id}  {article.url}", style="bold")]
    if not versions:
        lines.append(Text("no versions stored yet", style="dim"))
    for record in reversed(versions):
        line = Text()
        line.append(f"v{record.number:<4}", style="yellow")
        line.append(f" {_short_time(record.fetched_at)}  ")
        line.append(f"{', '.join(record.kinds) or ('first version' if record.number == 1 else 'changed'):<28}", style="cyan")
        line.append(f" {record.headline or ''}")
        if record.suspect:
            line.append(f"  [suspect: {record.suspect}]", style="magenta")
        lines.append(line)
    return Group(*lines)


def diff_view(
    article: WatchedArticle,
    before: VersionRecord,
    after: VersionRecord,
    changes: Sequence[Change],
    *,
    summary: str,
    stealth: bool,
    markers: bool,
) -> RenderableType:
    """The changes between two versions, grouped by kind, each with its word-level diff."""
    parts: list[RenderableType] = [
        Text(f"{article.id}  {article.url}", style="bold"),
        Text(f"version {before.number} ({_short_time(before.fetched_at)}) -> version {after.number} ({_short_time(after.fetched_at)})"),
    ]
    if not changes:
        parts.append(Text("no changes", style="dim"))
        return Group(*parts)
    counts = ", ".join(f"{sum(c.kind == kind for c in changes)} {kind}" for kind in _kinds_in_order(changes))
    parts.append(Text(f"{len(changes)} change{'s' if len(changes) != 1 else ''}: {counts}"))
    parts.append(Text(summary, style="yellow"))
    if stealth:
        parts.append(Text("stealth edit: no new modified date and no update or correction note", style="bold red"))
    for kind in _kinds_in_order(changes):
        parts.append(Text(""))
        parts.append(Text(f"{kind.upper()} ({SEVERITY[kind]})", style="bold magenta"))
        parts.extend(_change_lines(change, markers=markers) for change in changes if change.kind == kind)
    return Group(*parts)


def _change_lines(change: Change, *, markers: bool) -> RenderableType:
    head = Text(f"  {change.action}", style="bold")
    if change.kind == "figure" and (change.before_value or change.after_value):
        head.append(f"  {change.before_value or '(none)'} -> {change.after_value or '(none)'}")
        if change.relative_change is not None:
            head.append(f" ({change.relative_change:+.0%})")
        if change.counted:
            head.append(f"  {change.counted}")
    if change.kind == "quote":
        head.append(f"  speaker: {change.speaker or 'unknown'}")
    body = Text("    ")
    body.append_text(words_text(word_diff(change.before or "", change.after or ""), markers=markers))
    lines: list[RenderableType] = [head, body]
    shown = change.after if change.action != "removed" else change.before
    if change.context and change.context != shown:
        lines.append(Text(f"    in: {change.context}", style="dim"))
    return Group(*lines)


def blame_view(article: WatchedArticle, lines: Sequence[tuple[BlameLine, VersionRecord]]) -> RenderableType:
    """The latest text, sentence by sentence, each with the version that gave it its wording."""
    parts: list[RenderableType] = [Text(f"{article.id}  {article.url}", style="bold")]
    paragraph = None
    for line, record in lines:
        if paragraph is not None and line.paragraph != paragraph:
            parts.append(Text(""))
        paragraph = line.paragraph
        row = Text()
        row.append(f"v{record.number:<4} {_short_time(record.fetched_at)}  ", style="yellow" if record.number > 1 else "dim")
        row.append(line.sentence)
        parts.append(row)
    return Group(*parts)


def show_view(article: WatchedArticle, record: VersionRecord, extracted: Article) -> RenderableType:
    """One stored version as a reader would see it, with its metadata above."""
    meta = Text(style="dim")
    meta.append(f"{article.id} version {record.number}, fetched {_short_time(record.fetched_at)}\n")
    for label, value in (
        ("url", record.final_url or article.url),
        ("canonical", extracted.canonical_url),
        ("byline", extracted.byline),
        ("published", extracted.published),
        ("modified", extracted.modified),
    ):
        if value:
            meta.append(f"{label}: {value}\n")
    parts: list[RenderableType] = [meta, Text(extracted.headline or "(no headline)", style="bold")]
    if extracted.standfirst:
        parts.append(Text(extracted.standfirst, style="italic"))
    for paragraph in extracted.paragraphs:
        parts.append(Text(""))
        parts.append(Text(paragraph))
    return Group(*parts)


def status_view(report: dict) -> RenderableType:
    """`monitor status`: the daemon, the last hour's checks, what is due next, what is failing."""
    pid = report["daemon_pid"]
    parts: list[RenderableType] = [
        Text(f"daemon: running (pid {pid})" if pid else "daemon: not running", style="bold green" if pid else "bold"),
    ]
    checks = report["checks_last_hour"]
    parts.append(Text(f"checks in the last hour: {sum(checks.values())}" + (f" ({', '.join(f'{n} {s}' for s, n in sorted(checks.items()))})" if checks else "")))
    alerts = report["alerts"]
    parts.append(Text(f"alerts: {alerts.get('pending', 0)} pending, {alerts.get('failed', 0)} failed, {alerts.get('delivered', 0)} delivered"))
    if report["next_due"]:
        parts.append(Text("next due:", style="bold"))
        parts.extend(Text(f"  {_short_time(item['due_at'])}  {item['article_id']}  {item['url']}") for item in report["next_due"])
    if report["failing"]:
        parts.append(Text("failing:", style="bold red"))
        parts.extend(
            Text(f"  {item['article_id']}  {item['status']} x{item['failures'] or 1}  {item['url']}") for item in report["failing"]
        )
    return Group(*parts)


def alerts_table(alerts: Sequence[Alert]) -> RenderableType:
    """Pending and failed deliveries, oldest first."""
    if not alerts:
        return Text("no pending or failed alerts")
    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("delivery id", "channel", "status", "attempts", "next attempt", "article", "last error"):
        table.add_column(column)
    for alert in alerts:
        table.add_row(
            alert.delivery_id, alert.channel, Text(alert.status, style="red" if alert.status == "failed" else "yellow"),
            str(alert.attempts), _short_time(alert.next_attempt_at or ""), alert.article_id, alert.last_error or "",
        )
    return table


def _short_time(iso: str) -> str:
    """`2026-11-28T10:05:07+00:00` as `2026-11-28 10:05:07`."""
    return iso.replace("T", " ").removesuffix("+00:00")


def needs_markers(console: Console) -> bool:
    """Whether a word diff needs `[-...-]{+...+}` markers: when the console shows no colour."""
    return console.no_color or not console.is_terminal


def make_console(*, stderr: bool = False, color: bool | None = None) -> Console:
    """A console that colours only terminals (and never when NO_COLOR is set)."""
    return Console(stderr=stderr, highlight=False, soft_wrap=True, no_color=color is False)
