"""Boilerplate removal on the parsed tree: scripts, navigation, ads, share bars, related lists...

Removal is by tag (always-junk tags go unconditionally; furniture tags such as <nav>, <aside>,
<figure> and <form> conditionally) and by class/id/role tokens.  A conditional candidate that
holds a large share of the page's paragraph text is kept: some sites put a whole page inside a
<form> or give the content wrapper a class such as "has-sidebar".
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from lxml import etree

from monitor.extract.normalise import normalise_text
from monitor.extract.tree import Element, attribute_owners, drop_tree, text_content

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
# Class/id tokens of a breadcrumb trail: its link texts are remembered (a source of the section).
_CRUMB_TOKENS = frozenset({"breadcrumb", "breadcrumbs", "crumbs", "crumb"})
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
        "visually", "screenreader", "offscreen", "follow", "signin",
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
_CAPTION_CLASSES = etree.XPath("//@class[contains(., 'caption') or contains(., 'credit')]")
_CAPTION_TOKENS = frozenset({"caption", "captions", "credit", "credits", "figcaption", "wp-caption-text"})


def attr_tokens(element: Element) -> frozenset[str]:
    """Lower-case class/id tokens, split on punctuation and camelCase."""
    return _tokens(element.get("class") or "", element.get("id") or "")


def _split_tokens(class_value: str, id_value: str) -> frozenset[str]:
    """Lower-case tokens of a class and id: split on anything not a letter or digit, and on camelCase."""
    value = class_value + " " + id_value
    lowered = value.lower()
    if lowered != value:  # an upper-case letter: mark the camelCase boundaries first
        lowered = _CAMEL.sub("-", value).lower()
    if lowered.isascii():
        # The common case without a regex (a few microseconds each, for hundreds of elements a
        # page): split on "-", "_" and whitespace; if only letters and digits are left, that is
        # exactly the split on everything else.
        words = lowered.replace("-", " ").replace("_", " ").split()
        if not words or "".join(words).isalnum():
            return frozenset(words)
    return frozenset(filter(None, _SPLIT.split(lowered)))


_tokens = lru_cache(maxsize=8192)(_split_tokens)

# Every pattern of BAD_JOINED contains one of these: the regex runs only when one is present.
_BAD_JOINED_WORDS = ("more", "most", "also", "related", "you", "editor", "last")


def _bad_reason(tokens: frozenset[str], class_value: str, id_value: str) -> tuple[bool, bool]:
    """(is boilerplate, is a strong signal) for an element's class and id, and their tokens."""
    if not tokens:
        return False, False
    bad = tokens & BAD_TOKENS
    strong = bool(tokens & STRONG_BAD)
    if not bad:
        for token in tokens:
            if token.startswith(BAD_PREFIXES):
                return True, True
        raw = (class_value + id_value).lower().replace("-", "").replace("_", "")
        if any(word in raw for word in _BAD_JOINED_WORDS) and BAD_JOINED.search(raw):
            return True, True
        return False, False
    if tokens & GOOD_TOKENS and not strong:
        return False, False
    return True, strong


_NOTHING = (False, False, None)


@lru_cache(maxsize=16384)
def _class_verdict(class_value: str, id_value: str) -> tuple[bool, bool, bool | None]:
    """What `remove_boilerplate` needs from a class and id, in one cached look-up:
    (breadcrumb trail?, possible paywall/consent overlay?, None or boilerplate with a strong signal?)."""
    tokens = _split_tokens(class_value, id_value)
    if not tokens:
        return _NOTHING
    bad, strong = _bad_reason(tokens, class_value, id_value)
    return not tokens.isdisjoint(_CRUMB_TOKENS), not tokens.isdisjoint(GATE_TOKENS), (strong if bad else None)


def collect_captions(root: Element) -> set[str]:
    """Normalised texts of captions and credits, so a body paragraph repeating one can be dropped."""
    captions: set[str] = set()
    seen: set[Element] = set()  # a figcaption inside a figure (the usual case) is read once
    for element in root.iter("figcaption", "figure"):
        if element in seen:
            continue
        for child in element.iter(etree.Element):  # the element itself and every element inside
            seen.add(child)
            text = normalise_text(text_content(child))
            if text:
                captions.add(text)
    for element in attribute_owners(_CAPTION_CLASSES(root)):
        if attr_tokens(element) & _CAPTION_TOKENS:
            text = normalise_text(text_content(element))
            if text and len(text) < 500:
                captions.add(text)
    return captions


def _p_text_len(element: Element) -> int:
    return sum(len(text_content(p)) for p in element.iter("p"))


class Removed:
    """What boilerplate removal saw on its way: overlay prompts and the breadcrumb trail."""

    __slots__ = ("gates", "crumbs")

    def __init__(self) -> None:
        self.gates: list[str] = []  # prompts of paywall / consent overlays (monitor.extract.suspect)
        self.crumbs: list[str] = []  # link texts of the first visible breadcrumb trail


# Only elements with one of these attributes, or a furniture tag, can be boilerplate.
_CANDIDATE_ATTRS = frozenset({"class", "id", "hidden", "aria-hidden", "style", "role", "aria-label"})


def _removal_candidates(root: Element) -> Iterator[tuple[Element, list[str]]]:
    """(element, its attribute names) for furniture tags and elements carrying one of
    `_CANDIDATE_ATTRS`, in document order.

    One pass over the plain etree elements, testing attribute names in Python: about twice as
    fast as an XPath `//*[@class or @id or ... or self::nav]`, whose predicate libxml2 evaluates
    afresh for every element of the page.
    """
    for element in root.iter(etree.Element):
        names = element.keys()
        if (names and not _CANDIDATE_ATTRS.isdisjoint(names)) or element.tag in FURNITURE_TAGS:
            yield element, names


def _judge(element: Element, names: list[str], removed: Removed) -> bool | None:
    """None when `element` is not boilerplate, else whether the signal is strong.

    `names` are the element's attribute names: an attribute is only read when it is there, as
    this runs for a few hundred elements of every page.  On the way, remembers the first
    breadcrumb trail's link texts and the first gate prompt (paywall or consent overlay).
    """
    get = element.get
    if "hidden" in names or ("aria-hidden" in names and get("aria-hidden") == "true"):
        return True
    if "style" in names:
        style = get("style")
        if style and _HIDDEN_STYLE.search(style):
            return True
    class_value = (get("class") or "") if "class" in names else ""
    id_value = (get("id") or "") if "id" in names else ""
    if class_value or id_value:
        crumb, gate, verdict = _class_verdict(class_value, id_value)
    else:
        crumb, gate, verdict = False, False, None
    if not removed.crumbs and (
        crumb or ("aria-label" in names and (get("aria-label") or "").lower() == "breadcrumb")
    ):
        removed.crumbs = [t for t in (normalise_text(text_content(a)) for a in element.iter("a")) if t]
    if not removed.gates and gate:
        prompt = _gate_prompt(element)
        if prompt:
            removed.gates.append(prompt)
    tag = element.tag
    if tag in FURNITURE_TAGS:
        return tag in _STRONG_FURNITURE
    if "role" in names:
        role = get("role")
        if role and role.lower() in FURNITURE_ROLES:
            return False
    if verdict is None or ("itemprop" in names and get("itemprop") == "articleBody"):
        return None
    return verdict


def _gate_prompt(element: Element) -> str | None:
    """The paywall or consent prompt among the first blocks of an overlay, if it has one."""
    from monitor.extract.suspect import gate_kind

    for count, block in enumerate(element.iter("p", "div", "h2", "h3", "h4", "span", "strong")):
        if count >= 12:
            break
        text = normalise_text(text_content(block))
        if gate_kind(text):
            return text
    return None


def _is_kept(element: Element, strong: bool, total: int) -> bool:
    """Whether a boilerplate candidate stays after all: it wraps an embedded post quoted in the
    article, or it holds most of the page's paragraph text (a wrapper, not furniture)."""
    if (
        element.tag != "blockquote"
        and next(element.iterdescendants("blockquote"), None) is not None  # cheap test before the XPath
        and _EMBEDDED_POSTS(element)
        and not (attr_tokens(element) & _NEVER_EMBED)
    ):
        return True
    if next(element.iterdescendants("p"), None) is not None:
        return _p_text_len(element) / total > (0.6 if strong else 0.3)
    return False


def remove_boilerplate(root: Element) -> Removed:
    """Remove junk tags, hidden elements and page furniture from `root`, in place.

    Returns the prompts of the paywall and consent overlays it removed, so that a page reduced to
    a teaser can still say why, and the breadcrumb trail (a source of the article's section).
    """
    etree.strip_elements(root, etree.Comment, etree.ProcessingInstruction, *JUNK_TAGS, with_tail=False)
    total = _p_text_len(root) or 1
    removed = Removed()
    candidates: list[tuple[Element, bool]] = []
    for element, names in _removal_candidates(root):
        if element.tag in ("html", "body"):
            continue
        strong = _judge(element, names, removed)
        if strong is not None:
            candidates.append((element, strong))
    # Candidates come in document order, so an element is seen after any ancestor of it that was
    # dropped: what lies in a dropped subtree is skipped, as removing it there would change nothing.
    dropped: set[Element] = set()
    for element, strong in candidates:
        if element in dropped or element.getparent() is None or _is_kept(element, strong, total):
            continue
        dropped.update(element.iter())
        drop_tree(element)
    return removed


# Wrappers that are boilerplate even when they hold an embedded post.
_NEVER_EMBED = frozenset({"related", "recommended", "sidebar", "footer", "comments", "comment", "nav", "promo", "ad", "ads"})
