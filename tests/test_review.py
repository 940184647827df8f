"""Terminal rendering: rendered to a string console with colour off, compared as text."""

from __future__ import annotations

import io

from rich.console import Console

from monitor import review
from monitor.diff import word_diff
from monitor.models import Change, CheckResult, VersionRecord, WatchedArticle

ARTICLE = WatchedArticle(id="abc1234567", url="https://news.example/a", name=None, interval_seconds=None, tags=(), added_at="2026-11-28T09:00:00+00:00")


def render(renderable) -> str:
    console = Console(file=io.StringIO(), no_color=True, width=200, highlight=False)
    console.print(renderable)
    return console.file.getvalue()


def version(number: int, kinds: tuple[str, ...] = ()) -> VersionRecord:
    return VersionRecord(ARTICLE.id, number, f"2026-11-28T10:0{number}:00+00:00", "sha256:x", f"Headline {number}", kinds)


def test_word_diff_markers_without_colour() -> None:
    text = review.words_text(word_diff("at least 14 people", "at least 17 people"), markers=True)
    assert text.plain == "at least [-14-]{+17+} people"
    assert review.words_text(word_diff("a b", "a c"), markers=False).plain == "a bc"


def test_diff_view_groups_changes_by_kind_in_fixed_order() -> None:
    changes = [
        Change("text", "added", None, "New line.", "New line."),
        Change("figure", "changed", "at least 14 dead.", "at least 17 dead.", "at least 17 dead.", "14", "17"),
        Change("headline", "changed", "Old", "New", "New"),
        Change("quote", "changed", "we will stay", "we may stay", '"we may stay," she said.', speaker="Ana Vo"),
    ]
    out = render(review.diff_view(ARTICLE, version(1), version(2), changes, summary="headline rewritten", stealth=True, markers=True))
    assert "headline rewritten" in out and "stealth edit" in out
    assert "HEADLINE (high)" in out and "TEXT (medium)" in out
    assert out.index("HEADLINE") < out.index("QUOTE") < out.index("FIGURE") < out.index("TEXT")
    assert "4 changes: 1 headline, 1 quote, 1 figure, 1 text" in out
    assert "changed  14 -> 17" in out and "at least [-14-]{+17+} dead." in out
    assert "speaker: Ana Vo" in out and 'in: "we may stay," she said.' in out
    assert "{+New line.+}" in out
    assert "version 1 (2026-11-28 10:01:00) -> version 2 (2026-11-28 10:02:00)" in out


def test_diff_view_without_changes() -> None:
    assert "no changes" in render(review.diff_view(ARTICLE, version(1), version(2), [], summary="", stealth=False, markers=True))


def test_blame_view_marks_each_sentence_with_its_version() -> None:
    from monitor.blame import BlameLine

    lines = [(BlameLine(0, "First.", 0), version(1)), (BlameLine(0, "Second.", 1), version(2)), (BlameLine(1, "Third.", 0), version(1))]
    out = render(review.blame_view(ARTICLE, lines)).splitlines()
    assert out[1] == "v1    2026-11-28 10:01:00  First."
    assert out[2] == "v2    2026-11-28 10:02:00  Second."
    assert out[3] == "" and out[4].endswith("Third.")


def test_log_view_newest_first() -> None:
    out = render(review.log_view(ARTICLE, [version(1), version(2, ("figure", "headline"))]))
    lines = out.splitlines()
    assert lines[1].startswith("v2") and "figure, headline" in lines[1] and "Headline 2" in lines[1]
    assert lines[2].startswith("v1") and "first version" in lines[2]


def test_check_line_shows_status_kinds_and_error() -> None:
    figure = Change("figure", "changed", "14 dead", "17 dead", "17 dead", "14", "17")
    changed = CheckResult(ARTICLE.url, ARTICLE.id, "changed", 2, 1, (figure,), summary="figure 14 → 17", stealth=True)
    assert review.check_line(changed).plain == f"changed   {ARTICLE.id}  v2  {ARTICLE.url}  figure 14 → 17  [stealth edit]"
    walled = CheckResult(ARTICLE.url, ARTICLE.id, "changed", 3, 2, suspect="looks like a paywall teaser")
    assert review.check_line(walled).plain.endswith("[suspect: looks like a paywall teaser]")
    failed = CheckResult(ARTICLE.url, ARTICLE.id, "error", error="timed out after 30 s")
    assert review.check_line(failed).plain.endswith("timed out after 30 s")
