"""The demo article: its edits each change exactly what they say, and the page around it is noisy."""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import fields, replace
from datetime import datetime

import pytest
from bs4 import BeautifulSoup

from monitor.demo_article import EDITS, ORIGINAL, DemoStory, page_renderer, render_page
from monitor.models import CHANGE_KINDS

QUOTED = re.compile(r'"([^"]*)"')
NUMBER = re.compile(r"\d[\d,.]*\d|\d")


def stories() -> list[DemoStory]:
    return [ORIGINAL, *(edit.story for edit in EDITS)]


def changed_fields(before: DemoStory, after: DemoStory) -> set[str]:
    return {f.name for f in fields(DemoStory) if getattr(before, f.name) != getattr(after, f.name)} - {"modified"}


def changed_paragraphs(before: DemoStory, after: DemoStory) -> list[tuple[str, str]]:
    """For edits that keep the paragraph count: the (before, after) pairs that differ."""
    assert len(before.paragraphs) == len(after.paragraphs)
    return [(b, a) for b, a in zip(before.paragraphs, after.paragraphs) if b != a]


def edit_named(kind: str) -> tuple[DemoStory, DemoStory]:
    index = next(i for i, edit in enumerate(EDITS) if edit.kinds == (kind,))
    return stories()[index], EDITS[index].story


def body_of(page: bytes) -> BeautifulSoup:
    return BeautifulSoup(page.decode("utf-8"), "lxml")


def story_text(page: bytes) -> dict[str, object]:
    """The story as a reader would pick it out of the page (the body without its furniture)."""
    soup = body_of(page)
    body = soup.select_one("div.article-body")
    assert body is not None
    for furniture in body.select("aside, .ad, .share"):
        furniture.decompose()
    return {
        "headline": soup.select_one("article h1").get_text(),
        "standfirst": soup.select_one("p.standfirst").get_text(),
        "byline": soup.select_one("p.byline").get_text(),
        "paragraphs": [p.get_text() for p in body.find_all("p")],
    }


# -- the story ---------------------------------------------------------------------------------------


def test_the_original_reads_like_a_wire_story() -> None:
    assert 10 <= len(ORIGINAL.paragraphs) <= 14
    assert ORIGINAL.headline and ORIGINAL.standfirst and ORIGINAL.byline
    attributed = [p for p in ORIGINAL.paragraphs if QUOTED.search(p) and re.search(r"\b(said|told)\b", p)]
    assert len(attributed) >= 2
    assert "killing at least 14 people" in ORIGINAL.paragraphs[0]
    assert sum("goverment" in p for p in ORIGINAL.paragraphs) == 1
    assert datetime.fromisoformat(ORIGINAL.published).utcoffset() is not None
    assert ORIGINAL.modified == ORIGINAL.published


def test_edits_come_in_the_promised_order_with_known_kinds() -> None:
    assert [edit.kinds for edit in EDITS] == [
        ("headline",),
        ("quote",),
        ("figure",),
        ("text",),
        ("correction",),
        ("minor",),
    ]
    for edit in EDITS:
        assert edit.description
        assert set(edit.kinds) <= set(CHANGE_KINDS)


def test_each_edit_moves_modified_forward_and_keeps_published() -> None:
    times = [datetime.fromisoformat(story.modified) for story in stories()]
    assert times == sorted(times) and len(set(times)) == len(times)
    assert {story.published for story in stories()} == {ORIGINAL.published}


def test_headline_edit_changes_only_the_headline() -> None:
    before, after = edit_named("headline")
    assert changed_fields(before, after) == {"headline"}
    assert not NUMBER.search(before.headline) and not NUMBER.search(after.headline)


def test_quote_edit_rewords_one_quotation_and_nothing_around_it() -> None:
    before, after = edit_named("quote")
    assert changed_fields(before, after) == {"paragraphs"}
    [(old, new)] = changed_paragraphs(before, after)
    assert QUOTED.findall(old) != QUOTED.findall(new)
    assert len(QUOTED.findall(old)) == len(QUOTED.findall(new)) == 1
    assert QUOTED.sub('""', old) == QUOTED.sub('""', new)  # speaker and the rest of the sentence unchanged
    assert "Mayor Colleen Marsh told reporters" in new
    assert not NUMBER.search(old) and not NUMBER.search(new)


def test_figure_edit_changes_only_the_number() -> None:
    before, after = edit_named("figure")
    assert changed_fields(before, after) == {"paragraphs"}
    [(old, new)] = changed_paragraphs(before, after)
    assert NUMBER.sub("#", old) == NUMBER.sub("#", new)
    changed = [(a, b) for a, b in zip(NUMBER.findall(old), NUMBER.findall(new)) if a != b]
    assert changed == [("14", "17")]


def test_text_edit_inserts_one_plain_paragraph() -> None:
    before, after = edit_named("text")
    assert changed_fields(before, after) == {"paragraphs"}
    assert len(after.paragraphs) == len(before.paragraphs) + 1
    [added] = [p for p in after.paragraphs if p not in before.paragraphs]
    position = after.paragraphs.index(added)
    assert after.paragraphs[:position] + after.paragraphs[position + 1 :] == before.paragraphs
    assert 0 < position < len(after.paragraphs) - 1  # in the body, not at either end
    assert '"' not in added and not NUMBER.search(added)
    assert "correction" not in added.lower()


def test_correction_edit_appends_a_correction() -> None:
    before, after = edit_named("correction")
    assert changed_fields(before, after) == {"paragraphs"}
    assert after.paragraphs[:-1] == before.paragraphs
    assert after.paragraphs[-1].startswith("Correction: An earlier version of this article misstated")
    assert not NUMBER.search(after.paragraphs[-1])


def test_typo_edit_fixes_one_letter() -> None:
    before, after = edit_named("minor")
    assert changed_fields(before, after) == {"paragraphs"}
    [(old, new)] = changed_paragraphs(before, after)
    assert "goverment" in old and "government" in new
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    edited = sum(max(i2 - i1, j2 - j1) for op, i1, i2, j1, j2 in matcher.get_opcodes() if op != "equal")
    assert 1 <= edited <= 2


def test_no_edit_before_the_typo_fix_touches_the_typo_sentence() -> None:
    [typo] = [p for p in ORIGINAL.paragraphs if "goverment" in p]
    for edit in EDITS[:-1]:
        assert typo in edit.story.paragraphs
    assert typo not in EDITS[-1].story.paragraphs


def test_the_final_story_carries_every_edit() -> None:
    final = EDITS[-1].story
    assert final.headline != ORIGINAL.headline
    assert "killing at least 17 people" in final.paragraphs[0]
    assert final.paragraphs[-1].startswith("Correction:")
    assert not any("goverment" in p for p in final.paragraphs)
    assert len(final.paragraphs) == len(ORIGINAL.paragraphs) + 2


# -- the page ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("story", stories(), ids=lambda s: s.modified)
def test_page_noise_changes_but_the_story_does_not(story: DemoStory) -> None:
    pages = [render_page(story, request_number=n) for n in range(6)]
    assert len(set(pages)) == len(pages)
    expected = {
        "headline": story.headline,
        "standfirst": story.standfirst,
        "byline": "By " + story.byline,
        "paragraphs": list(story.paragraphs),
    }
    for page in pages:
        assert story_text(page) == expected


def test_noise_is_in_the_updated_line_related_order_and_view_count() -> None:
    first, second = (body_of(render_page(ORIGINAL, request_number=n)) for n in (0, 1))
    assert first.select_one("p.updated").get_text() != second.select_one("p.updated").get_text()
    assert re.search(r"Last updated \d+ minutes? ago", first.select_one("p.updated").get_text())
    assert re.search(r"[\d,]+ views", first.select_one("p.updated").get_text())
    related = [[a.get_text() for a in soup.select("section.related li a")] for soup in (first, second)]
    assert related[0] != related[1] and sorted(related[0]) == sorted(related[1])


def test_page_has_the_furniture_of_a_news_site() -> None:
    page = render_page(ORIGINAL, request_number=7)
    soup = body_of(page)
    assert soup.title.get_text() == f"{ORIGINAL.headline} | The Riverside Courier"
    assert soup.find("meta", property="og:title")["content"] == ORIGINAL.headline
    assert soup.find("meta", property="og:description")["content"] == ORIGINAL.standfirst
    assert soup.find("meta", property="article:published_time")["content"] == ORIGINAL.published
    assert soup.find("meta", property="article:modified_time")["content"] == ORIGINAL.modified
    assert soup.find("link", rel="canonical")["href"].startswith("https://")
    assert soup.select_one("nav") is not None
    assert soup.select_one("div.ticker") is not None and soup.select_one("div.consent-banner") is not None
    assert "Advertisement" in soup.select_one("div.ad.ad-leaderboard").get_text()
    body = soup.select_one("article div.article-body")
    assert body.select_one("div.share").get_text().startswith("Share on")
    newsletter = body.select_one("aside.newsletter")
    assert "Get the morning briefing" in newsletter.get_text() and "Subscribe" in newsletter.get_text()
    assert body.select_one("div.ad.ad-inline") is not None
    # the newsletter and the inline ad sit between paragraphs, not at either end of the body
    children = [child for child in body.find_all(recursive=False)]
    for furniture in (newsletter, body.select_one("div.ad.ad-inline")):
        position = children.index(furniture)
        assert children[position - 1].name == "p" and children[position + 1].name == "p"
    caption = soup.select_one("article figure figcaption").get_text()
    assert re.search(r"Photo: .+ / .+", caption)
    assert soup.select_one("article figure img")["src"]
    assert soup.select_one("article time")["datetime"] == ORIGINAL.published
    assert soup.select_one("section.related h2").get_text() == "Related"
    assert len(soup.select("section.related ul li a")) >= 3
    assert soup.select_one("section.comments") is not None and soup.select_one("footer") is not None


def test_json_ld_describes_the_article() -> None:
    story = EDITS[-1].story
    soup = body_of(render_page(story, request_number=0))
    data = json.loads(soup.find("script", type="application/ld+json").string)
    assert data["@type"] == "NewsArticle"
    assert data["headline"] == story.headline
    assert data["description"] == story.standfirst
    assert data["datePublished"] == story.published and data["dateModified"] == story.modified
    assert [author["name"] for author in data["author"]] == ["Maren Okafor", "Tomas Wyle"]


def test_story_text_is_escaped() -> None:
    story = replace(
        ORIGINAL,
        headline="Flood <script>alert(1)</script> & more",
        standfirst='Water "rises" <i>fast</i>',
        paragraphs=("A paragraph with <b>bold</b> & an ampersand.", *ORIGINAL.paragraphs[1:]),
    )
    page = render_page(story, request_number=0).decode("utf-8")
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; an ampersand." in page
    assert "<b>" not in page and "<i>" not in page and "<script>alert" not in page
    data = json.loads(body_of(page.encode("utf-8")).find("script", type="application/ld+json").string)
    assert data["headline"] == story.headline  # escaped inside the JSON-LD, yet the same string
    assert story_text(page.encode("utf-8"))["paragraphs"][0] == story.paragraphs[0]
    assert body_of(page.encode("utf-8")).find("meta", property="og:description")["content"] == story.standfirst


def test_page_renderer_serves_fresh_noise_on_each_request(site) -> None:  # type: ignore[no-untyped-def]
    import httpx

    url = site.publish("/story", page_renderer(ORIGINAL))
    first, second = httpx.get(url), httpx.get(url)
    assert first.status_code == 200 and first.headers["content-type"].startswith("text/html")
    assert first.content != second.content
    assert first.content == render_page(ORIGINAL, request_number=0)
    assert story_text(first.content) == story_text(second.content)
