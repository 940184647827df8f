"""Turn an article page's HTML into an `Article`: metadata plus the body as ordered paragraphs.

The page is parsed with libxml2's HTML parser into plain `lxml.etree` elements (fast, forgiving;
see `monitor.extract.tree`); site rules are CSS selectors run through
`lxml.cssselect`.  Every text field goes through `normalise_text` (see `monitor.extract.normalise`
for the exact rules: invisible characters removed, quotes unified to straight `"` and `'`,
whitespace collapsed, NFC), so that two renderings of the same article extract identically.

Steps: decode bytes (BOM, declared charset, UTF-8, cp1252) -> parse -> metadata (JSON-LD, meta
tags, visible markup) -> drop site-rule `drop` selectors and boilerplate -> choose the body
container -> split it into paragraphs -> drop captions, timestamps, link lists and duplicates.
"""

from __future__ import annotations

import codecs
import re
from urllib.parse import urlsplit
from collections.abc import Sequence

import lxml.html
from lxml import etree

from monitor.charset import decode_html
from monitor.errors import ExtractionError, SiteRuleMismatch
from monitor.extract import body as _body
from monitor.extract import clean as _clean
from monitor.extract import metadata as _meta
from monitor.extract import rules as _rules
from monitor.extract import suspect as _suspect
from monitor.extract.normalise import normalise_text
from monitor.extract.suspect import suspect_reason
from monitor.extract.tree import PARSER, Element
from monitor.models import Article, SiteRule

__all__ = ["extract_article", "normalise_text", "parse_html", "suspect_reason"]

_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
_PI_START = re.compile(r"\s*<\?")


def parse_html(html: str | bytes) -> Element:
    """Parse a page into an lxml tree; raise ExtractionError only when there is nothing to parse."""
    data: bytes | None = None  # the UTF-8 bytes to parse, when the input's own bytes can be used
    if isinstance(html, (bytes, bytearray, memoryview)):
        raw = bytes(html)
        html, codec = decode_html(raw)
        if codec == "utf-8" and not raw.startswith(codecs.BOM_UTF8):
            data = raw  # exactly what encoding the decoded text would give back
    if not isinstance(html, str):
        raise ExtractionError(f"cannot extract an article from {type(html).__name__}, expected HTML text or bytes")
    if html.startswith("\ufeff"):
        html, data = html[1:], None
    if _PI_START.match(html):  # (a regex: no copy of the page as `html.lstrip()` would make)
        html, data = _XML_DECLARATION.sub("", html, count=1), None
    if not html or html.isspace():
        raise ExtractionError("empty document: nothing to extract")
    try:
        # Parsing UTF-8 bytes is faster in lxml than parsing a str.
        root = etree.fromstring(data if data is not None else html.encode("utf-8", "surrogatepass"), PARSER)
    except (etree.ParserError, ValueError) as exc:
        raise ExtractionError(f"cannot parse the page as HTML: {exc}") from exc
    if root is None:
        raise ExtractionError("cannot parse the page as HTML: Document is empty")
    return root


def extract_article(html: str | bytes, url: str | None = None, *, rules: Sequence[SiteRule] = ()) -> Article:
    """Extract headline, standfirst, byline, dates, canonical URL and body paragraphs from a page.

    `rules` are site rules; the first whose hosts match `url`'s host overrides the default
    selectors for the fields it sets and adds its `drop` selectors.  Raises `ExtractionError`
    only for input with nothing to parse (empty document); broken HTML extracts what it can.
    """
    root = parse_html(html)
    rule = _rules.rule_for(url, rules)

    if rule and rule.drop:
        _rules.drop(root, rule.drop)
    nodes = _meta.jsonld_nodes(root)
    ld = _meta.jsonld_article(root, nodes)
    meta = _meta.meta_tags(root)
    micro = _meta.microdata(root)
    headline = _meta.find_headline(root, ld, meta, rule.headline if rule else None, micro)
    standfirst = _meta.find_standfirst(root, ld, meta, rule.standfirst if rule else None)
    byline = _meta.find_byline(root, ld, meta, rule.byline if rule else None)
    published, modified = _meta.find_dates(root, ld, meta, micro)
    canonical = _meta.find_canonical(root, meta, url)
    language = _meta.find_language(root, ld, meta, micro)
    ld_body = ld.get("articleBody") if ld else None
    ld_body = ld_body if isinstance(ld_body, str) and ld_body.strip() else None

    containers: list[Element] = []
    if rule and rule.body:
        containers = _rules.select(root, rule.body)
        if not containers:
            raise SiteRuleMismatch(urlsplit(url or "").hostname or "(unknown)", rule.name, rule.body)
        containers = [c for c in containers if not any(a in containers for a in c.iterancestors())]
    captions = _clean.collect_captions(root)
    removed = _clean.remove_boilerplate(root)
    gates = removed.gates
    section = _meta.find_section(root, ld, meta, micro, nodes, headline, removed.crumbs)
    if containers:
        containers = [c for c in containers if _attached(c, root)]
    if containers:
        paragraphs = _body.collect_paragraphs(containers, headline, captions, gates)
    else:
        candidates = _body.container_candidates(root)
        paragraphs = _body.collect_paragraphs(candidates[0], headline, captions, gates)
        if ld_body:
            paragraphs = _consult_article_body(ld_body, paragraphs, candidates, headline, captions, gates)
    if gates:
        # A teaser cut short by a paywall or consent wall keeps the prompt, so the version says why.
        words = _suspect.word_count(" ".join(paragraphs))
        for gate in gates:
            if words <= _suspect.GATE_MAX_WORDS[_suspect.gate_kind(gate) or "paywall"]:
                paragraphs.append(gate)
                break
    return Article(
        headline=headline or None,
        standfirst=standfirst or None,
        byline=byline or None,
        published=published,
        modified=modified,
        canonical_url=canonical,
        paragraphs=paragraphs,
        section=section,
        language=language,
    )


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


_WORD = re.compile(r"\w+")
_HTML_IN_TEXT = re.compile(r"<(?:p|br|div|h[2-6]|li)\b", re.IGNORECASE)


def _consult_article_body(
    ld_body: str,
    paragraphs: list[str],
    candidates: list[list[Element]],
    headline: str | None,
    captions: set[str],
    gates: list[str],
) -> list[str]:
    """Check the visible body against JSON-LD `articleBody`.

    When the chosen container shares little of articleBody's vocabulary, another candidate that
    shares most of it is taken instead; when the visible body is tiny next to a long articleBody
    (text rendered by script, a collapsed "read more"), articleBody itself becomes the body.
    """
    truth = _words(ld_body)
    ld_words = _suspect.word_count(ld_body)
    if ld_words < 60 or not truth:
        return paragraphs
    found = _words(" ".join(paragraphs))
    share = len(truth & found) / len(truth)
    complete = ld_words >= 150 and not ld_body.rstrip().endswith(("...", "\u2026"))
    too_long = complete and _suspect.word_count(" ".join(paragraphs)) > 1.5 * ld_words + 30
    if share < 0.5 or (too_long and share >= 0.9):
        # The container shares little of articleBody's words, or holds far more besides them:
        # take the candidate that covers most of articleBody, the smallest such one when tied.
        best, best_key = paragraphs, (round(share, 1), -_suspect.word_count(" ".join(paragraphs)))
        for group in candidates[1:]:
            alternative = _body.collect_paragraphs(group, headline, captions, [])
            words = _words(" ".join(alternative))
            count = _suspect.word_count(" ".join(alternative))
            alt_share = len(truth & words) / len(truth)
            if share < 0.5 and alt_share < share + 0.2:
                continue
            if count > 3 * ld_words + 50:
                continue
            key = (round(alt_share, 1), -count)
            if key > best_key:
                best, best_key = alternative, key
        paragraphs = best
    if _suspect.word_count(" ".join(paragraphs)) < 0.3 * ld_words:
        return _paragraphs_of(ld_body)
    return paragraphs


def _paragraphs_of(text: str) -> list[str]:
    """articleBody as paragraphs: its own markup if it carries some, else its line breaks."""
    if _HTML_IN_TEXT.search(text):
        try:
            fragment = lxml.html.fragment_fromstring(text, create_parent="div")
        except (etree.ParserError, ValueError):
            fragment = None
        if fragment is not None:
            return _body.collect_paragraphs([fragment], None, set(), [])
    return [p for p in (normalise_text(line) for line in re.split(r"\n\s*\n|\n", text)) if p]


def _attached(element: Element, root: Element) -> bool:
    return element is root or any(a is root for a in element.iterancestors())
