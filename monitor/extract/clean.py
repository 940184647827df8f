"""Boilerplate removal on the parsed tree: scripts, navigation, ads, share bars, related lists...

Removal is by tag (always-junk tags go unconditionally; furniture tags such as <nav>, <aside>,
<figure> and <form> conditionally) and by class/id/role tokens.  A conditional candidate that
holds a large share of the page's paragraph text is kept: some sites put a whole page inside a
<form> or give the content wrapper a class such as "has-sidebar".
"""

from __future__ import annotations

import re
from functools import lru_cache

from lxml import etree
from lxml.html import HtmlElement

from monitor.extract.normalise import normalise_text

# Removed wherever they are, with no questions asked (tails are kept).
JUNK_TAGS = (
    "script",
    "style",
    "noscript",
    "iframe",
    "svg",
    "template",
    "object",
    "embed",
    "canvas",
    "video",
    "audio",
    "select",
    "button",
    "input",
    "textarea",
    "head",
    "map",
    "dialog",
    "picture",
    "img",
    "source",
    # AMP components that never hold article text.
    "amp-ad",
    "amp-embed",
    "amp-analytics",
    "amp-pixel",
    "amp-sticky-ad",
    "amp-auto-ads",
    "amp-consent",
    "amp-user-notification",
    "amp-geo",
    "amp-social-share",
    "amp-sidebar",
    "amp-iframe",
    "amp-video",
    "amp-img",
    "amp-state",
    "amp-install-serviceworker",
)
# Embedded posts that are part of what the article says (the quoted tweet is the story).
_EMBEDDED_POSTS = etree.XPath(
    ".//blockquote[contains(@class, 'twitter-tweet') or contains(@class, 'instagram-media')"
    " or contains(@class, 'tiktok-embed') or contains(@class, 'bluesky-embed') or contains(@class, 'mastodon-embed')]"
)
# Class/id tokens of paywall and consent overlays: their prompt is remembered before removal.
GATE_TOKENS = frozenset(
    {"paywall", "regwall", "piano", "meter", "metered", "premium", "subscriber", "subscribers",
     "consent", "cookie", "cookies", "gdpr", "cmp", "privacy", "subscribe", "subscription", "tp"}
)
# Page furniture: removed unless they hold most of the page's text.
FURNITURE_TAGS = frozenset({"nav", "footer", "aside", "form", "figure", "figcaption", "header", "menu", "label"})
_STRONG_FURNITURE = frozenset({"nav", "figure", "figcaption", "label"})
FURNITURE_ROLES = frozenset(
    {"navigation", "banner", "contentinfo", "complementary", "search", "dialog", "menu", "menubar", "toolbar", "alert"}
)

# Class/id tokens (split on anything not a letter or digit) that mark boilerplate.
BAD_TOKENS = frozenset(
    {
        "ad", "ads", "adv", "advert", "adverts", "advertisement", "advertising", "adslot", "adunit",
        "adsense", "dfp", "gpt", "promo", "promos", "promotion", "promoted", "sponsor", "sponsored",
        "sponsors", "share", "shares", "sharing", "sharebar", "social", "socials", "newsletter",
        "newsletters", "subscribe", "subscription", "signup", "related", "recommended",
        "recommendations", "recirc", "recirculation", "outbrain", "taboola", "comment", "comments",
        "disqus", "breadcrumb", "breadcrumbs", "nav", "navbar", "navigation", "menu", "footer",
        "sidebar", "widget", "widgets", "popup", "modal", "cookie", "cookies", "consent", "caption",
        "captions", "credit", "credits", "byline", "bylines", "tags", "tag", "keywords", "toolbar",
        "pagination", "pager", "masthead", "header", "topbar", "skip", "hidden", "hide", "print",
        "tooltip", "overlay", "meta", "timestamp", "dateline", "author", "authors",
        "bio", "trending", "popular", "mostread", "readmore", "morestories", "alsoread",
        "seealso", "teaser", "teasers", "embed", "video", "player", "gallery", "slideshow",
        "carousel", "figure", "figcaption", "thumbnail", "thumb", "banner", "noprint", "sr",
        "visually", "screenreader", "offscreen", "subscribe", "newsletter", "follow", "signin",
        "login", "rating", "feedback", "contact", "donate", "donation", "cta", "upsell", "sticky",
        "gdpr", "cmp",
    }
)
BAD_PREFIXES = ("advert", "sponsor", "newsletter", "outbrain", "taboola", "recommend", "social", "share")
# Joined forms: "more-stories", "read_more", "most popular", ...
BAD_JOINED = re.compile(
    r"morestories|readmore|mostpopular|mostread|alsoread|seealso|relatedcontent|relatedarticles"
    r"|relatedstories|relatedlinks|moreon|youmayalsolike|youmightlike|editorspick|lastupdated"
)
# Tokens that mark the main content: a candidate with one of these is only removed for a strong reason.
GOOD_TOKENS = frozenset(
    {"article", "body", "content", "entry", "main", "post", "story", "text", "articlebody", "storybody", "blog"}
)
STRONG_BAD = frozenset(
    {
        "ad", "ads", "advert", "advertisement", "promo", "sponsored", "share", "sharing", "newsletter",
        "related", "recommended", "outbrain", "taboola", "comments", "comment", "disqus", "caption",
        "credit", "breadcrumb", "breadcrumbs", "hidden", "hide", "readmore", "morestories", "social",
        "byline", "timestamp", "subscribe", "signup", "teaser", "teasers",
        "consent", "cookie", "gdpr",
    }
)
_SPLIT = re.compile(r"[^a-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_CAPTION_TOKENS = frozenset({"caption", "captions", "credit", "credits", "figcaption", "wp-caption-text"})


def attr_tokens(element: HtmlElement) -> frozenset[str]:
    """Lower-case class/id tokens, split on punctuation and camelCase."""
    return _tokens(element.get("class") or "", element.get("id") or "")


@lru_cache(maxsize=8192)
def _tokens(class_value: str, id_value: str) -> frozenset[str]:
    value = class_value + " " + id_value
    if not value.strip():
        return frozenset()
    value = _CAMEL.sub("-", value).lower()
    return frozenset(t for t in _SPLIT.split(value) if t)


@lru_cache(maxsize=8192)
def _bad_reason(class_value: str, id_value: str) -> tuple[bool, bool]:
    """(is boilerplate, is a strong signal) for an element's class and id."""
    tokens = _tokens(class_value, id_value)
    if not tokens:
        return False, False
    bad = tokens & BAD_TOKENS
    strong = bool(tokens & STRONG_BAD)
    if not bad:
        for token in tokens:
            if token.startswith(BAD_PREFIXES):
                return True, True
        raw = (class_value + id_value).lower().replace("-", "").replace("_", "")
        if BAD_JOINED.search(raw):
            return True, True
        return False, False
    if tokens & GOOD_TOKENS and not strong:
        return False, False
    return True, strong


def collect_captions(root: HtmlElement) -> set[str]:
    """Normalised texts of captions and credits, so a body paragraph repeating one can be dropped."""
    captions: set[str] = set()
    for element in root.iter("figcaption", "figure"):
        text = normalise_text(element.text_content())
        if text:
            captions.add(text)
        for child in element.iter():
            if child is not element and isinstance(child.tag, str):
                text = normalise_text(child.text_content())
                if text:
                    captions.add(text)
    for element in root.xpath("//*[contains(@class, 'caption') or contains(@class, 'credit')]"):
        if attr_tokens(element) & _CAPTION_TOKENS:
            text = normalise_text(element.text_content())
            if text and len(text) < 500:
                captions.add(text)
    return captions


def _p_text_len(element: HtmlElement) -> int:
    return sum(len(p.text_content()) for p in element.iter("p"))


class Removed:
    """What boilerplate removal saw on its way: overlay prompts and the breadcrumb trail."""

    __slots__ = ("gates", "crumbs")

    def __init__(self) -> None:
        self.gates: list[str] = []  # prompts of paywall / consent overlays (monitor.extract.suspect)
        self.crumbs: list[str] = []  # link texts of the first visible breadcrumb trail


# Only elements with one of these attributes, or a furniture tag, can be boilerplate: selecting them
# in XPath spares building a Python proxy for every other element of the page.
_REMOVAL_CANDIDATES = etree.XPath(
    "//*[@class or @id or @hidden or @aria-hidden or @style or @role or @aria-label"
    + "".join(f" or self::{tag}" for tag in sorted(FURNITURE_TAGS))
    + "]"
)
_CRUMB_TOKENS = frozenset({"breadcrumb", "breadcrumbs", "crumbs", "crumb"})


def remove_boilerplate(root: HtmlElement) -> Removed:
    """Remove junk tags, hidden elements and page furniture from `root`, in place.

    Returns the prompts of the paywall and consent overlays it removed, so that a page reduced to
    a teaser can still say why, and the breadcrumb trail (a source of the article's section).
    """
    from monitor.extract.suspect import gate_kind

    etree.strip_elements(root, etree.Comment, etree.ProcessingInstruction, *JUNK_TAGS, with_tail=False)
    total = _p_text_len(root) or 1
    candidates: list[tuple[HtmlElement, bool]] = []
    removed = Removed()
    gates = removed.gates
    for element in _REMOVAL_CANDIDATES(root):
        tag = element.tag
        attrib = element.attrib
        if tag in ("html", "body"):
            continue
        get = attrib.get
        if get("hidden") is not None or get("aria-hidden") == "true":
            candidates.append((element, True))
            continue
        style = get("style")
        if style and _HIDDEN_STYLE.search(style):
            candidates.append((element, True))
            continue
        class_value, id_value = get("class"), get("id")
        if not removed.crumbs and (
            (class_value or id_value) and _tokens(class_value or "", id_value or "") & _CRUMB_TOKENS
            or (get("aria-label") or "").lower() == "breadcrumb"
        ):
            removed.crumbs = [t for t in (normalise_text(a.text_content()) for a in element.iter("a")) if t]
        if (class_value or id_value) and _tokens(class_value or "", id_value or "") & GATE_TOKENS and not gates:
            for count, block in enumerate(element.iter("p", "div", "h2", "h3", "h4", "span", "strong")):
                if count >= 12:
                    break
                text = normalise_text(block.text_content())
                if gate_kind(text):
                    gates.append(text)
                    break
        if tag in FURNITURE_TAGS:
            candidates.append((element, tag in _STRONG_FURNITURE))
            continue
        role = get("role")
        if role and role.lower() in FURNITURE_ROLES:
            candidates.append((element, False))
            continue
        if get("itemprop") == "articleBody":
            continue
        if class_value or id_value:
            bad, strong = _bad_reason(class_value or "", id_value or "")
            if bad:
                candidates.append((element, strong))
    for element, strong in candidates:
        parent = element.getparent()
        if parent is None:
            continue
        if element.tag != "blockquote" and _EMBEDDED_POSTS(element) and not (attr_tokens(element) & _NEVER_EMBED):
            continue  # a wrapper around an embedded post quoted in the article
        if element.find(".//p") is not None:
            share = _p_text_len(element) / total
            if share > (0.6 if strong else 0.3):
                continue  # holds most of the page's text: a wrapper, not furniture
        element.drop_tree()
    return removed


# Wrappers that are boilerplate even when they hold an embedded post.
_NEVER_EMBED = frozenset({"related", "recommended", "sidebar", "footer", "comments", "comment", "nav", "promo", "ad", "ads"})
