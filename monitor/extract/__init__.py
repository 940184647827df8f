"""Turn an article page's HTML into an `Article`: metadata plus the body as ordered paragraphs.

The page is parsed with `lxml.html` (fast, forgiving); site rules are CSS selectors run through
`lxml.cssselect`.  Every text field goes through `normalise_text` (see `monitor.extract.normalise`
for the exact rules: invisible characters removed, quotes unified to straight `"` and `'`,
whitespace collapsed, NFC), so that two renderings of the same article extract identically.

Steps: decode bytes (BOM, declared charset, UTF-8, cp1252) -> parse -> metadata (JSON-LD, meta
tags, visible markup) -> drop site-rule `drop` selectors and boilerplate -> choose the body
container -> split it into paragraphs -> drop captions, timestamps, link lists and duplicates.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import lxml.html
from lxml import etree
from lxml.html import HtmlElement

from monitor.errors import ExtractionError
from monitor.extract import body as _body
from monitor.extract import clean as _clean
from monitor.extract import metadata as _meta
from monitor.extract import rules as _rules
from monitor.extract.decode import decode_html
from monitor.extract.normalise import normalise_text
from monitor.models import Article, SiteRule

__all__ = ["extract_article", "normalise_text", "parse_html"]

_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)


def parse_html(html: str | bytes) -> HtmlElement:
    """Parse a page into an lxml tree; raise ExtractionError only when there is nothing to parse."""
    if isinstance(html, (bytes, bytearray, memoryview)):
        html = decode_html(bytes(html))
    if not isinstance(html, str):
        raise ExtractionError(f"cannot extract an article from {type(html).__name__}, expected HTML text or bytes")
    if html.startswith("\ufeff"):
        html = html[1:]
    if html.lstrip().startswith("<?"):
        html = _XML_DECLARATION.sub("", html, count=1)
    if not html.strip():
        raise ExtractionError("empty document: nothing to extract")
    try:
        # Parsing UTF-8 bytes is faster in lxml than parsing a str.
        root = lxml.html.document_fromstring(
            html.encode("utf-8", "surrogatepass"), parser=_PARSER
        )
    except (etree.ParserError, ValueError) as exc:
        raise ExtractionError(f"cannot parse the page as HTML: {exc}") from exc
    if root is None:
        raise ExtractionError("cannot parse the page as HTML: no document element")
    return root


_PARSER = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True, collect_ids=False)


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
    ld = _meta.jsonld_article(root)
    meta = _meta.meta_tags(root)
    headline = _meta.find_headline(root, ld, meta, rule.headline if rule else None)
    standfirst = _meta.find_standfirst(root, ld, meta, rule.standfirst if rule else None)
    byline = _meta.find_byline(root, ld, meta, rule.byline if rule else None)
    published, modified = _meta.find_dates(root, ld, meta)
    canonical = _meta.find_canonical(root, meta, url)

    containers: list[HtmlElement] = []
    if rule and rule.body:
        containers = _rules.select(root, rule.body)
        containers = [c for c in containers if not any(a in containers for a in c.iterancestors())]
    captions = _clean.collect_captions(root)
    _clean.remove_boilerplate(root)
    if containers:
        containers = [c for c in containers if _attached(c, root)]
    if not containers:
        containers = _body.find_container(root)
    paragraphs = _body.collect_paragraphs(containers, headline, captions)
    return Article(
        headline=headline or None,
        standfirst=standfirst or None,
        byline=byline or None,
        published=published,
        modified=modified,
        canonical_url=canonical,
        paragraphs=paragraphs,
    )


def _attached(element: HtmlElement, root: HtmlElement) -> bool:
    return element is root or any(a is root for a in element.iterancestors())
