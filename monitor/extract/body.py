"""Find the article's main container and turn it into ordered paragraphs.

Container choice: the site rule's `body` selector; else `[itemprop=articleBody]`, the best
`<article>`, or a common content class, each only when it holds a fair share of the text the
density scoring finds; else a readability-style score (paragraph text credited to parent and
grandparent, weighted by class hints and link density), joined with its high-scoring siblings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from lxml import etree

from monitor.extract.clean import attr_tokens
from monitor.extract.normalise import normalise_text
from monitor.extract.tree import Element, attribute_owners, text_content

BLOCK_TAGS = frozenset(
    {
        "p", "div", "section", "article", "main", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li",
        "dl", "dt", "dd", "blockquote", "pre", "table", "tr", "td", "th", "thead", "tbody", "tfoot",
        "caption", "figure", "figcaption", "header", "footer", "aside", "nav", "hr", "center",
        "address", "form", "fieldset", "details", "summary", "body", "html", "menu", "hgroup",
    }
)
HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
CONTENT_JOINED = re.compile(
    r"articlebody|storybody|entrycontent|postcontent|postbody|articlecontent|storycontent|contentbody"
    r"|bodytext|articletext|storytext|richtext|articlecopy|bodycopy|blogpost|postentry|mainarticle"
    r"|textcontent|contentarticle|newsbody|newstext|detailbody|articledetail|singlepost"
)
POSITIVE_TOKENS = frozenset(
    {"article", "body", "content", "entry", "main", "page", "post", "text", "blog", "story", "copy", "prose"}
)
NEGATIVE_TOKENS = frozenset(
    {
        "comment", "comments", "meta", "footer", "footnote", "sidebar", "widget", "related", "promo",
        "share", "social", "nav", "menu", "teaser", "card", "list", "tags", "header", "masthead",
        "author", "bio", "newsletter", "more", "recommended", "popular", "trending",
    }
)
_TIMESTAMP_LINE = re.compile(
    r"^(?:last\s+)?(?:updated|modified|published|posted)\b"
    r"|\b\d+\s*(?:seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?)\s+ago\b"
    r"|^(?:just now|moments ago)$",
    re.IGNORECASE,
)
_BOILERPLATE_LINES = frozenset(
    {
        "advertisement", "advertisements", "advert", "adverts", "advertising", "sponsored", "sponsored content", "ad",
        "share", "share this", "share this article", "share this story", "share on facebook",
        "share on twitter", "tweet", "email", "print", "comments", "read more", "continue reading",
        "story continues below", "story continues below advertisement", "article continues below",
        "scroll to continue with content", "subscribe", "sign up", "skip advertisement",
        "related", "related articles", "related stories", "more stories", "recommended",
        "you may also like", "loading", "loading...", "close", "menu", "copy link", "link copied",
        "listen to this article", "play", "watch", "image", "photo", "view comments",
    }
)
# Calls to action that end many articles: newsletter plugs, tip lines, follow-us lines.
_PROMO_LINE = re.compile(
    r"\b(?:sign up|subscribe)\b[^.!?]{0,80}\b(?:newsletters?|inbox|e-?mail updates|briefing)\b"
    r"|\bnewsletters?\b[^.!?]{0,60}\b(?:sign up|subscribe)\b"
    r"|^(?:have|got) a (?:news )?tip\b"
    r"|^follow (?:us|@\w+) on (?:twitter|facebook|instagram|x)\b",
    re.IGNORECASE,
)
# Words without one of which (lower-cased) the patterns above cannot match (see `suspect.may_match`).
_TIMESTAMP_WORDS = ("updated", "modified", "published", "posted", "ago", "just now")
_PROMO_TOPICS = ("newsletter", "inbox", "mail updates", "briefing")
# A date as sites print it in datelines: 05/10/2018, 2018-10-05, October 6, 2018, 6 October 2018.
_DATE = re.compile(
    r"\b\d{1,2}[./-]\d{1,2}[./-]\d{2,4}\b|\b\d{4}-\d\d-\d\d\b"
    r"|\b[A-Z][a-z]{2,8}\.? \d{1,2},? \d{4}\b|\b\d{1,2}\.? [A-Z][a-z]{2,8}\.? \d{4}\b"
)
# Candidate body containers, as attribute steps (see `tree.attribute_owners`).
_ITEMPROP_BODY = etree.XPath("//@itemprop[. = 'articleBody' or . = 'articlebody']")
_CLASS_OR_ID = etree.XPath("//@class | //@id")
_BR = "\x00"  # a <br> while collecting; two in a row (whitespace between) split a paragraph
_BR_BREAK = re.compile("\x00\\s*\x00[\\s\x00]*")


def _collapsed_len(text: str) -> int:
    """Length of `text` with whitespace collapsed and the ends stripped."""
    return len(" ".join(text.split()))


class _Lengths:
    """Whitespace-collapsed text lengths of elements, each measured once per container choice.

    Container choice asks for the same paragraphs' lengths many times over (scoring, then the
    prose of every candidate container, nested ones included) and for the same links' lengths
    once per enclosing element; measuring is string work, remembering is a dict look-up.  Valid
    while the tree is not changed, so one instance lives for one `container_candidates` call.
    """

    __slots__ = ("_lengths", "_links")

    def __init__(self) -> None:
        self._lengths: dict[Element, tuple[int, int]] = {}
        self._links: dict[Element, int] = {}

    def of(self, element: Element) -> tuple[int, int]:
        """(text length, length of text inside links) of `element`."""
        found = self._lengths.get(element)
        if found is None:
            found = self._lengths[element] = (_collapsed_len(text_content(element)), self._link_len(element))
        return found

    def link_density(self, element: Element) -> float:
        """Share of `element`'s text inside links (1.0 for an element without text).

        An element without links needs no measuring: its density is 0 once it has any text.
        """
        if next(element.iter("a"), None) is None and element not in self._lengths:
            text = text_content(element)
            return 0.0 if text and not text.isspace() else 1.0
        length, links = self.of(element)
        return links / length if length else 1.0

    def _link_len(self, element: Element) -> int:
        total = 0
        links = self._links
        for a in element.iter("a"):
            length = links.get(a)
            if length is None:
                length = links[a] = _collapsed_len(text_content(a))
            total += length
        return total


def _joined_attrs(element: Element) -> str:
    return ((element.get("class") or "") + " " + (element.get("id") or "")).lower().replace("-", "").replace("_", "")


def good_text(element: Element, lengths: _Lengths | None = None) -> int:
    """Paragraph-ish text outside links inside `element`: how much article prose it holds."""
    lengths = lengths or _Lengths()
    total = 0
    for p in element.iter("p", "pre", "blockquote", "li", "h2", "h3"):
        if p.tag in ("li", "blockquote") and p.find("p") is not None:
            continue
        length, links = lengths.of(p)
        if length >= 25 and links / length < 0.5:
            total += length - links
    return total


def _score_candidates(root: Element, lengths: _Lengths | None = None) -> dict[Element, float]:
    """Readability-style scores: each paragraph's score credited to its parent and grandparent,
    then weighted by class hints and the element's link density."""
    lengths = lengths or _Lengths()
    scores: dict[Element, float] = {}
    for p in root.iter("p", "pre", "td", "div"):
        if p.tag in ("div", "td"):
            # Only divs/cells holding bare text (no <p> children) count, e.g. <br>-separated prose.
            direct = (p.text or "") + "".join(c.tail or "" for c in p)
            if len(direct) < 100:
                continue  # collapsing whitespace only shortens it
            length = _collapsed_len(direct)
            if length < 100:
                continue
            links = 0
        else:
            length, links = lengths.of(p)
            if length < 25:
                continue
        density = links / length if length else 1.0
        score = (1 + text_content(p).count(",") + min(length / 100, 3)) * (1 - density)
        parent = p.getparent()
        if parent is None:
            continue
        scores[parent] = scores.get(parent, 0.0) + score
        grand = parent.getparent()
        if grand is not None:
            scores[grand] = scores.get(grand, 0.0) + score / 2
    for element in list(scores):
        tokens = attr_tokens(element)
        weight = 0.0
        if tokens & POSITIVE_TOKENS or CONTENT_JOINED.search(_joined_attrs(element)):
            weight += 25
        if tokens & NEGATIVE_TOKENS:
            weight -= 25
        if element.tag in ("article", "main"):
            weight += 10
        scores[element] = (scores[element] + weight) * (1 - lengths.link_density(element))
    return scores


def _density_container(root: Element, lengths: _Lengths | None = None) -> list[Element]:
    lengths = lengths or _Lengths()
    scores = _score_candidates(root, lengths)
    if not scores:
        body = root.find(".//body")
        return [body if body is not None else root]
    best = max(scores, key=scores.__getitem__)
    top = scores[best]
    parent = best.getparent()
    if parent is None or best.tag in ("body", "html"):
        return [best]
    threshold = max(10.0, top * 0.2)
    chosen: list[Element] = []
    for sibling in parent:
        if not isinstance(sibling.tag, str):
            continue
        if sibling is best:
            chosen.append(sibling)
            continue
        score = scores.get(sibling, 0.0)
        if score >= threshold:
            chosen.append(sibling)
        elif sibling.tag == "p":
            length, links = lengths.of(sibling)
            if length > 80 and links / length < 0.25:
                chosen.append(sibling)
    return chosen


def _largest(elements: Iterable[Element], lengths: _Lengths) -> tuple[Element | None, int]:
    best, best_len = None, 0
    for element in elements:
        length = good_text(element, lengths)
        if length > best_len:
            best, best_len = element, length
    return best, best_len


def _outermost(elements: list[Element]) -> list[Element]:
    chosen = set(elements)
    return [e for e in elements if not any(a in chosen for a in e.iterancestors())]


def container_candidates(root: Element) -> list[list[Element]]:
    """Possible body containers, the preferred one first (then the density choice, then the rest).

    `[itemprop=articleBody]`, a common content class and the best `<article>` are each preferred
    to the density choice only when they hold at least 70% of its prose.
    """
    lengths = _Lengths()
    density = _density_container(root, lengths)
    density_len = sum(good_text(e, lengths) for e in density)
    itemprop = _outermost(attribute_owners(_ITEMPROP_BODY(root)))
    classed = _outermost(
        [
            e
            for e in attribute_owners(_CLASS_OR_ID(root))
            if e.tag not in ("body", "html")
            and (e.get("class") or e.get("id"))
            and CONTENT_JOINED.search(_joined_attrs(e))
        ]
    )
    preferred: list[list[Element]] = []
    others: list[list[Element]] = []
    for candidates, merge in ((itemprop, True), (classed, True), (list(root.iter("article")), False)):
        best, length = _largest(candidates, lengths)
        if best is None or length <= 0:
            continue
        if merge:
            # A body split in chunks (ads between them) repeats the same wrapper: keep them all.
            group = [
                e
                for e in candidates
                if e is best or (e.tag == best.tag and e.get("class") == best.get("class") and good_text(e, lengths) > 0)
            ]
        else:
            group = [best]
        (preferred if length >= 0.7 * density_len else others).append(group)
    if len(density) > 1:
        others.extend([e] for e in density if good_text(e, lengths) > 0)
    return preferred[:1] + [density] + preferred[1:] + others


class _Collector:
    """Walks a container and splits its text into blocks at block-level element boundaries."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.link_chars = 0
        self.kinds: list[str] = []
        self.blocks: list[tuple[str, str, float]] = []  # (text, kind, link density)

    def flush(self) -> None:
        """End the current block: its text (split at double <br>) becomes one or more blocks."""
        if not self.parts:
            return
        raw = "".join(self.parts)
        self.parts = []
        links = self.link_chars
        self.link_chars = 0
        if raw.isspace():
            return  # the whitespace between two blocks
        kind = self.kinds[-1] if self.kinds else "div"
        if _BR not in raw:
            text = normalise_text(raw)
            if text:
                # ASCII text is only whitespace-collapsed by normalise_text: no need to measure twice.
                total = (len(text) if raw.isascii() else _collapsed_len(raw)) or 1
                self.blocks.append((text, kind, min(1.0, links / total)))
            return
        total = _collapsed_len(raw.replace(_BR, " ")) or 1
        for chunk in _BR_BREAK.split(raw):
            text = normalise_text(chunk.replace(_BR, " "))
            if text:
                self.blocks.append((text, kind, min(1.0, links / total)))

    def add(self, text: str | None, in_link: bool) -> None:
        if text:
            self.parts.append(text)
            if in_link:
                self.link_chars += _collapsed_len(text)

    def walk(self, element: Element, in_link: bool = False) -> None:
        tag = element.tag
        if not isinstance(tag, str):
            return
        if tag == "br":
            self.parts.append(_BR)
            return
        if tag == "h1":
            self.flush()
            return
        block = tag in BLOCK_TAGS
        if block:
            self.flush()
            self.kinds.append(tag)
        in_link = in_link or tag == "a"
        self.add(element.text, in_link)
        for child in element:
            self.walk(child, in_link)
            self.add(child.tail, in_link)
        if block:
            self.flush()
            self.kinds.pop()


def collect_paragraphs(
    containers: list[Element], headline: str | None, captions: set[str], gates: list[str] | None = None
) -> list[str]:
    """The containers' text as paragraphs, without boilerplate lines.

    Paywall and consent prompts found among them are left out and appended to `gates`.
    """
    from monitor.extract.suspect import gate_kind, may_match

    collector = _Collector()
    for container in containers:
        collector.walk(container)
        collector.flush()
    out: list[str] = []
    for text, kind, density in collector.blocks:
        lower = text.lower()
        if lower.rstrip(":.!") in _BOILERPLATE_LINES:
            continue
        if density > 0.5 and (
            (len(text) < 200 and (kind != "li" or len(text) * (1 - density) < 60)) or density > 0.8 or kind in HEADING_TAGS
        ):
            continue
        if len(text) < 120 and may_match(text, lower, _TIMESTAMP_WORDS) and _TIMESTAMP_LINE.search(text):
            continue
        if text in captions or (headline and text == headline):
            continue
        if len(text) < 300 and (_is_promo(text, lower) or gate_kind(text)):
            if gates is not None and gate_kind(text):
                gates.append(text)
            continue
        if out and out[-1] == text:
            continue
        out.append(text)
    return _trim_edges(out)


def _is_promo(text: str, lower: str) -> bool:
    """A call to action (`_PROMO_LINE`); its literal words are looked for before the pattern runs."""
    if text.isascii() and not (
        (("sign up" in lower or "subscribe" in lower) and any(word in lower for word in _PROMO_TOPICS))
        or lower.startswith(("have a ", "got a ", "follow "))
    ):
        return False
    return _PROMO_LINE.search(text) is not None


def _is_furniture_line(text: str) -> bool:
    """A dateline ("Publisher - 5 October 2018") or a dangling label ("Tags:"), not prose."""
    if len(text) > 120 or text.endswith((".", "!", "?", '"')) or text.startswith(("\u2014", "\u2013", "-")):
        return False  # prose, or the attribution line of a quoted post
    return (text.endswith(":") and len(text) <= 30) or bool(_DATE.search(text))


def _trim_edges(paragraphs: list[str]) -> list[str]:
    """Drop dateline and label lines at the very start and end of the body (at most two each)."""
    start, end = 0, len(paragraphs)
    while start < min(2, end) and _is_furniture_line(paragraphs[start]):
        start += 1
    while end > start and len(paragraphs) - end < 2 and _is_furniture_line(paragraphs[end - 1]):
        end -= 1
    return paragraphs[start:end]
