"""Article metadata: headline, standfirst, byline, dates and canonical URL.

Sources are tried in a fixed order per field (site rule first, then structured data, then meta
tags, then visible markup); the first non-empty value wins.  Runs on the parsed page before any
boilerplate is removed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin

from lxml import etree

from monitor.extract.normalise import normalise_text
from monitor.extract.tree import Element, attribute_owners, text_content

ARTICLE_TYPES = frozenset(
    {
        "article",
        "newsarticle",
        "reportagenews",
        "analysisnewsarticle",
        "opinionnewsarticle",
        "backgroundnewsarticle",
        "reviewnewsarticle",
        "askpublicnewsarticle",
        "satiricalarticle",
        "scholarlyarticle",
        "techarticle",
        "report",
        "blogposting",
        "liveblogposting",
        "socialmediaposting",
        "discussionforumposting",
        "review",
    }
)

# Attributes that may mark a standfirst, searched only below the headline's outermost close ancestor.
_HINT_ATTRS = etree.XPath(".//@class | .//@itemprop[. = 'description'] | .//@data-testid[. = 'standfirst']")
_STANDFIRST_HINT = re.compile(
    r"standfirst|dek|summary|subtitle|sub-title|subhead|lede|lead|intro|excerpt|description|strapline|deck"
)
_STANDFIRST_TAGS = frozenset({"p", "div", "h2", "span", "section"})
_STANDFIRST_TOKENS = frozenset(
    {
        "standfirst",
        "dek",
        "summary",
        "subtitle",
        "subheadline",
        "subhead",
        "lede",
        "lead",
        "intro",
        "excerpt",
        "description",
        "strapline",
        "deck",
    }
)
_STANDFIRST_BAD = frozenset({"related", "teaser-list", "card", "promo", "comment", "nav", "menu", "footer"})
# Byline elements, most explicit first; attribute steps (see `tree.attribute_owners`) are fast.
_BYLINE_XPATHS = (
    etree.XPath("//@rel[. = 'author'] | //@itemprop[. = 'author']"),
    etree.XPath("//@class[contains(., 'byline') or contains(., 'author-name')]"),
)
_TOKEN_SPLIT = re.compile(r"[^a-z0-9]+")
_BY_PREFIX = re.compile(r"^(?:by|from|von|par|por|di)\s+", re.IGNORECASE)


def _tokens(value: str | None) -> list[str]:
    return [t for t in _TOKEN_SPLIT.split(value.lower()) if t] if value else []


# --------------------------------------------------------------------------------------- JSON-LD


def _walk_jsonld(node: Any, depth: int = 0, listed: bool = False) -> Iterator[tuple[dict[str, Any], bool]]:
    """Every object in a JSON-LD document, with whether it sits inside a list of other items."""
    if depth > 6:
        return
    if isinstance(node, list):
        for item in node:
            yield from _walk_jsonld(item, depth + 1, listed)
    elif isinstance(node, dict):
        yield node, listed
        for key in ("@graph", "mainEntity", "mainEntityOfPage", "itemListElement", "item"):
            if key in node and isinstance(node[key], (list, dict)):
                yield from _walk_jsonld(node[key], depth + 1, listed or key in ("itemListElement", "item"))


def _jsonld_documents(root: Element) -> Iterator[Any]:
    for script in root.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        raw = (script.text or "").strip()
        if not raw:
            continue
        try:
            yield json.loads(raw, strict=False)
        except ValueError:
            # A trailing semicolon or an HTML comment wrapper are common mistakes.
            cleaned = raw.strip().removeprefix("<!--").removesuffix("-->").strip().rstrip(";")
            try:
                yield json.loads(cleaned, strict=False)
            except ValueError:
                continue


def _types(node: dict[str, Any]) -> set[str]:
    value = node.get("@type")
    if isinstance(value, str):
        return {value.rsplit("/", 1)[-1].lower()}
    if isinstance(value, list):
        return {v.rsplit("/", 1)[-1].lower() for v in value if isinstance(v, str)}
    return set()


def jsonld_nodes(root: Element) -> list[tuple[dict[str, Any], bool]]:
    """Every JSON-LD object of the page, in document order, with its "inside a list" flag."""
    return [pair for data in _jsonld_documents(root) for pair in _walk_jsonld(data)]


def jsonld_article(root: Element, nodes: list[tuple[dict[str, Any], bool]] | None = None) -> dict[str, Any] | None:
    """The page's own Article-like JSON-LD object, or None.

    Objects inside an ItemList (related stories, carousels) only count when there is no other;
    among the rest, one with an `articleBody` or a `headline` is preferred to a bare one.
    """
    if nodes is None:
        nodes = jsonld_nodes(root)
    best: dict[str, Any] | None = None
    best_rank = -1
    for node, listed in nodes:
        if not _types(node) & ARTICLE_TYPES:
            continue
        rank = (0 if listed else 4) + (2 if isinstance(node.get("articleBody"), str) else 0)
        rank += 1 if node.get("headline") else 0
        if rank > best_rank:
            best, best_rank = node, rank
    return best


def _names(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        name = value.get("name")
        if isinstance(name, str):
            return [name]
        if isinstance(name, list):
            return [n for n in name if isinstance(n, str)]
        given, family = value.get("givenName"), value.get("familyName")
        if isinstance(given, str) or isinstance(family, str):
            return [" ".join(p for p in (given, family) if isinstance(p, str))]
        return []
    if isinstance(value, list):
        return [n for item in value for n in _names(item)]
    return []


def _join_names(names: list[str]) -> str | None:
    seen: list[str] = []
    for name in names:
        name = normalise_text(name)
        if name and not name.lower().startswith("http") and name not in seen:
            seen.append(name)
    if not seen:
        return None
    if len(seen) == 1:
        return seen[0]
    return ", ".join(seen[:-1]) + " and " + seen[-1]


def _jsonld_str(node: dict[str, Any] | None, key: str) -> str | None:
    if not node:
        return None
    value = node.get(key)
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str)), None)
    if isinstance(value, str):
        return normalise_text(value) or None
    return None


# ------------------------------------------------------------------------------------ meta tags


def meta_tags(root: Element) -> dict[str, str]:
    """`<meta>` values by lower-cased property/name/itemprop; the first occurrence wins."""
    found: dict[str, str] = {}
    for meta in root.iter("meta"):
        key = meta.get("property") or meta.get("name") or meta.get("itemprop") or meta.get("http-equiv")
        content = meta.get("content")
        if key and content:
            key = key.strip().lower()
            if key not in found and content.strip():
                found[key] = content
    return found


# ---------------------------------------------------------------------------------------- dates


def normalise_date(value: str | None) -> str | None:
    """ISO 8601 `YYYY-MM-DDTHH:MM:SS+HH:MM` where the value allows it; None when unparseable."""
    if not value:
        return None
    text = value.strip()
    if not text:
        return None
    candidate = text.replace(" ", "T", 1) if re.match(r"^\d{4}-\d\d-\d\d \d", text) else text
    if re.fullmatch(r"\d{4}-\d\d-\d\d", candidate):
        return candidate
    try:
        parsed = datetime.fromisoformat(candidate.replace("z", "Z"))
    except ValueError:
        # "+0100" style offsets without the colon, then RFC 2822 dates.
        fixed = re.sub(r"([+-]\d\d)(\d\d)$", r"\1:\2", candidate)
        try:
            parsed = datetime.fromisoformat(fixed)
        except ValueError:
            try:
                parsed = parsedate_to_datetime(text)
            except (TypeError, ValueError, IndexError):
                return None
            if parsed is None:
                return None
    return parsed.replace(microsecond=0).isoformat()


def _first_date(*values: str | None) -> str | None:
    for value in values:
        date = normalise_date(value)
        if date:
            return date
    return None


# ---------------------------------------------------------------------------------------- public


def _select_text(root: Element, selector: str | None) -> str | None:
    if not selector:
        return None
    from monitor.extract.rules import select  # local import keeps cssselect off the cold path

    for element in select(root, selector):
        text = normalise_text(text_content(element))
        if text:
            return text
    return None


def _visible(element: Element) -> bool:
    for node in element.iterancestors():
        if node.tag in ("head", "script", "template", "noscript"):
            return False
        if node.get("hidden") is not None:
            return False
    style = (element.get("style") or "").replace(" ", "").lower()
    return "display:none" not in style and element.get("hidden") is None and element.tag not in ("meta", "link")


def find_headline(
    root: Element,
    ld: dict[str, Any] | None,
    meta: dict[str, str],
    selector: str | None,
    micro: dict[str, str] | None = None,
) -> str | None:
    headline = (
        _select_text(root, selector)
        or _jsonld_str(ld, "headline")
        or _jsonld_str(ld, "name")
        or (micro or {}).get("headline")
    )
    if headline:
        return headline
    og = normalise_text(meta.get("og:title", "")) or normalise_text(meta.get("twitter:title", ""))
    if og:
        return og
    h1s = [h for h in root.iter("h1") if _visible(h)]
    # Prefer an <h1> inside an <article> or the main content, then the first one.
    for h1 in h1s:
        if any(a.tag in ("article", "main") for a in h1.iterancestors()):
            text = normalise_text(text_content(h1))
            if text:
                return text
    for h1 in h1s:
        text = normalise_text(text_content(h1))
        if text:
            return text
    title = root.find(".//title")
    if title is not None:
        return normalise_text(text_content(title)) or None
    return None


def find_standfirst(
    root: Element, ld: dict[str, Any] | None, meta: dict[str, str], selector: str | None
) -> str | None:
    text = _select_text(root, selector)
    if text:
        return text
    # A visible summary element near the headline: within the <h1>'s close ancestors.
    h1 = next((h for h in root.iter("h1") if _visible(h)), None)
    near: set[Element] = set()
    outermost = None
    if h1 is not None:
        for depth, ancestor in enumerate(h1.iterancestors()):
            if depth >= 3 or ancestor.tag in ("body", "html"):
                break
            near.add(ancestor)
            outermost = ancestor
    # Only elements inside `outermost` can have an ancestor in `near`: the rest of the page is skipped.
    for value in _HINT_ATTRS(outermost) if outermost is not None else ():
        if value.attrname == "class" and not _STANDFIRST_HINT.search(value.lower()):
            continue
        element = value.getparent()
        if element.tag not in _STANDFIRST_TAGS:
            continue
        tokens = _tokens(element.get("class"))
        if not (set(tokens) & _STANDFIRST_TOKENS) and element.get("itemprop") != "description":
            continue
        if set(tokens) & _STANDFIRST_BAD or not _visible(element):
            continue
        if any(
            a.tag in ("nav", "footer", "aside", "li") or set(_tokens(a.get("class"))) & _STANDFIRST_BAD
            for a in element.iterancestors()
        ):
            continue
        if element.find(".//p") is not None and element.tag != "p" and len(element.findall(".//p")) > 2:
            continue  # a whole body wrapper, not a summary
        if not any(a in near for a in element.iterancestors()):
            continue
        text = normalise_text(text_content(element))
        if 20 <= len(text) <= 600:
            return text
    for key in ("og:description", "twitter:description", "description"):
        text = normalise_text(meta.get(key, ""))
        if text:
            return text
    return _jsonld_str(ld, "description")


def find_byline(
    root: Element, ld: dict[str, Any] | None, meta: dict[str, str], selector: str | None
) -> str | None:
    text = _select_text(root, selector)
    if text:
        return _BY_PREFIX.sub("", text) or text
    if ld:
        names = _join_names(_names(ld.get("author")))
        if names:
            return names
    for xpath in _BYLINE_XPATHS:
        for element in attribute_owners(xpath(root)):
            if element.tag in ("meta", "link") or not _visible(element):
                continue
            if any(a.tag in ("nav", "footer", "aside") for a in element.iterancestors()):
                continue
            if element.tag != "a" and element.find(".//*[@itemprop='name']") is not None:
                element = element.find(".//*[@itemprop='name']")
            text = normalise_text(text_content(element))
            if text and len(text) <= 200:
                return _BY_PREFIX.sub("", text) or text
    for key in ("author", "article:author", "dc.creator", "sailthru.author", "parsely-author"):
        text = normalise_text(meta.get(key, ""))
        if text and not text.lower().startswith("http"):
            return text
    return None


def find_dates(
    root: Element, ld: dict[str, Any] | None, meta: dict[str, str], micro: dict[str, str] | None = None
) -> tuple[str | None, str | None]:
    ld = ld or {}
    micro = micro or {}
    times = [t.get("datetime") for t in root.iter("time") if t.get("datetime")]
    published = _first_date(
        ld.get("datePublished") if isinstance(ld.get("datePublished"), str) else None,
        meta.get("article:published_time"),
        micro.get("datepublished"),
        meta.get("og:published_time"),
        meta.get("datepublished"),
        meta.get("pubdate"),
        meta.get("publishdate"),
        meta.get("date"),
        meta.get("dc.date"),
        *times[:1],
    )
    modified = _first_date(
        ld.get("dateModified") if isinstance(ld.get("dateModified"), str) else None,
        meta.get("article:modified_time"),
        micro.get("datemodified"),
        meta.get("og:updated_time"),
        meta.get("datemodified"),
        meta.get("lastmod"),
        *[t.get("datetime") for t in root.iter("time") if t.get("itemprop") == "dateModified"],
    )
    return published, modified


def find_canonical(root: Element, meta: dict[str, str], url: str | None) -> str | None:
    for link in root.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        href = (link.get("href") or "").strip()
        if "canonical" in rel and href:
            return urljoin(url, href) if url else href
    og = (meta.get("og:url") or "").strip()
    if og:
        return urljoin(url, og) if url else og
    return url


# ------------------------------------------------------------------------------------ microdata

_MICRODATA_PROPS = frozenset(
    {"headline", "datepublished", "datemodified", "articlesection", "inlanguage", "description", "author"}
)
_MICRODATA = etree.XPath("//@itemprop")
_ITEMTYPES = etree.XPath("//@itemtype")


def microdata(root: Element) -> dict[str, str]:
    """schema.org microdata values by lower-cased itemprop (first occurrence wins).

    Values come from `content`, `datetime` (or `href` on links) before the element's own text.
    When the page marks an Article-like itemscope, only properties inside it are read.
    """
    elements = attribute_owners(_MICRODATA(root))
    if not elements:
        return {}
    scopes = [
        e
        for e in attribute_owners(_ITEMTYPES(root))
        if e.get("itemscope") is not None
        and e.get("itemtype", "").rstrip("/").rsplit("/", 1)[-1].lower() in ARTICLE_TYPES
    ]
    found: dict[str, str] = {}
    for element in elements:
        for prop in (element.get("itemprop") or "").lower().split():
            if prop not in _MICRODATA_PROPS or prop in found:
                continue
            if scopes and not any(a in scopes for a in element.iterancestors()):
                continue
            if prop == "author":
                name = element.find(".//*[@itemprop='name']")
                value = (name.get("content") or text_content(name)) if name is not None else text_content(element)
            else:
                value = element.get("content") or element.get("datetime")
                if value is None and element.tag not in ("meta", "link"):
                    value = text_content(element)
            value = normalise_text(value or "")
            if value:
                found[prop] = value
    return found


# -------------------------------------------------------------------------------------- section


def _breadcrumb_names(nodes: list[tuple[dict[str, Any], bool]]) -> list[str]:
    for node, _ in nodes:
        if "breadcrumblist" not in _types(node):
            continue
        items = node.get("itemListElement")
        if not isinstance(items, list):
            continue
        entries: list[tuple[float, str]] = []
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                continue
            name = item.get("name")
            inner = item.get("item")
            if not isinstance(name, str) and isinstance(inner, dict):
                name = inner.get("name")
            position = item.get("position")
            order = float(position) if isinstance(position, (int, float)) or (isinstance(position, str) and position.isdigit()) else index
            if isinstance(name, str) and normalise_text(name):
                entries.append((order, normalise_text(name)))
        if entries:
            return [name for _, name in sorted(entries)]
    return []


def _section_from_crumbs(names: list[str], headline: str | None) -> str | None:
    skip = {(headline or "").lower(), "home", "homepage", "start", "accueil", "inicio", "startseite"}
    candidates = [n for n in names if n.lower() not in skip and len(n) <= 60]
    if len(candidates) > 1 and headline and len(candidates[-1]) > 40:
        candidates = candidates[:-1]  # the last crumb is the article itself under another title
    return candidates[-1] if candidates else None


def find_section(
    root: Element,
    ld: dict[str, Any] | None,
    meta: dict[str, str],
    micro: dict[str, str],
    nodes: list[tuple[dict[str, Any], bool]],
    headline: str | None,
    crumbs: list[str] = (),  # type: ignore[assignment]
) -> str | None:
    """The site section: JSON-LD `articleSection`, `article:section`, microdata, then breadcrumbs
    (JSON-LD BreadcrumbList, then `crumbs`, the link texts of the visible trail)."""
    section = _jsonld_str(ld, "articleSection")
    if section:
        return section
    for value in (meta.get("article:section"), micro.get("articlesection")):
        text = normalise_text(value or "")
        if text:
            return text
    return _section_from_crumbs(_breadcrumb_names(nodes), headline) or _section_from_crumbs(list(crumbs), headline)


# ------------------------------------------------------------------------------------- language

_LANGUAGE = re.compile(r"^[a-zA-Z]{2,3}(?:[-_][a-zA-Z0-9]{2,8})*$")


def normalise_language(value: str | None) -> str | None:
    """A BCP 47 tag such as `en` or `pt-BR` from `en_us`, `pt-br`, `en, fr`...; None when not one."""
    if not value:
        return None
    text = value.split(",")[0].split(";")[0].strip()
    if not _LANGUAGE.match(text):
        return None
    parts = text.replace("_", "-").split("-")
    out = [parts[0].lower()]
    for part in parts[1:]:
        out.append(part.upper() if len(part) == 2 else part.title() if len(part) == 4 else part.lower())
    return "-".join(out)


def find_language(
    root: Element, ld: dict[str, Any] | None, meta: dict[str, str], micro: dict[str, str]
) -> str | None:
    """`<html lang>`, then the content-language meta, `og:locale`, JSON-LD/microdata `inLanguage`."""
    in_language = ld.get("inLanguage") if ld else None
    if isinstance(in_language, dict):
        in_language = in_language.get("alternateName") or in_language.get("name")
    for value in (
        root.get("lang"),
        root.get("xml:lang") or root.get("{http://www.w3.org/XML/1998/namespace}lang"),
        meta.get("content-language"),
        meta.get("language"),
        meta.get("og:locale"),
        in_language if isinstance(in_language, str) else None,
        micro.get("inlanguage"),
    ):
        language = normalise_language(value)
        if language:
            return language
    return None
