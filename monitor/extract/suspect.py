"""Tell when an extraction is probably not the article: a paywall, a consent wall, an error page,
or a body that lost most of its words since the previous version.

`suspect_reason` is pure: it reads two `Article`s and returns a short reason or None.  A suspect
version is still stored, but marked, and not diffed as a mass deletion.

Detection is deliberately narrow.  A gate is recognised by a *prompt* (a short paragraph that
asks the reader to subscribe, log in or accept cookies in order to read on), and only when the
body around it is short: a real article that mentions "subscribe" once, or that ends with a
newsletter plug, is not a paywall.
"""

from __future__ import annotations

import re

from monitor.models import Article

# How short a body must be (in words, prompts excluded) before a gate prompt makes it suspect: a
# paywall leaves a teaser of a paragraph or two, a consent wall leaves next to nothing.
GATE_MAX_WORDS = {"paywall": 150, "consent": 60}
# A body shrank sharply when it lost more than half its words and had at least this many before.
SHRINK_MIN_PREVIOUS_WORDS = 150
SHRINK_RATIO = 0.5

_WORD = re.compile(r"\w+")

PAYWALL_PROMPT = re.compile(
    r"subscribe (?:now |today )?(?:to|and) (?:continue|keep|read|unlock|get (?:full|unlimited))"
    r"|(?:continue|keep) reading (?:with|by|for|when you)"
    r"|to (?:continue|keep) reading,? (?:please )?(?:subscribe|log ?in|sign ?in|register|create)"
    r"|(?:this|the) (?:article|story|content|post) is (?:only )?(?:available |reserved )?(?:for|to) (?:subscribers|members|premium)"
    r"|(?:exclusive|only) (?:content )?for (?:subscribers|members)"
    r"|already an? (?:subscriber|member)\?"
    r"|you(?:'ve| have) (?:reached|used) (?:your|all of your|the) (?:limit|(?:\w+ )?free (?:articles|stories))"
    r"|(?:unlock|get) (?:this|the full) (?:article|story)"
    r"|read the full (?:article|story) (?:with|by subscribing|for)"
    r"|subscribers? only\b"
    r"|register (?:for free )?to (?:continue|read)",
    re.IGNORECASE,
)
CONSENT_PROMPT = re.compile(
    r"we (?:and our (?:\w+ )?partners )?(?:use|store|process) (?:cookies|(?:your )?(?:personal )?data)"
    r"|(?:this|our) (?:site|website) uses cookies"
    r"|we value your privacy"
    r"|(?:accept|agree to|consent to) (?:all )?(?:the use of )?cookies"
    r"|manage (?:your )?(?:cookie|privacy) (?:settings|preferences|choices)"
    r"|by (?:clicking|selecting) [\"']?(?:accept|agree|i agree|ok)"
    r"|(?:your|we need your) consent",
    re.IGNORECASE,
)
ERROR_HEADLINE = re.compile(
    r"^(?:error\s*)?(?:404|410|500|502|503)(?:\s*(?:error|not found)?\s*(?:[-:|\u2013\u2014].*)?)$"
    r"|\b(?:page|article|story|content) (?:not found|(?:is |has been )?(?:no longer available|removed|unavailable))"
    r"|^not found$|\bcannot be found\b|\bcould not be found\b|\bdoesn't exist\b|\bdoes not exist\b"
    r"|^(?:access denied|forbidden|service unavailable|bad gateway|internal server error)\b"
    r"|^(?:something went wrong|oops\b|an error (?:has )?occurred)"
    r"|^(?:are you a (?:robot|human)|just a moment|attention required|verify you are human)",
    re.IGNORECASE,
)
ERROR_BODY = re.compile(
    r"\b(?:page|article|story|content) (?:you (?:are|were|'re) looking for|you requested) "
    r"(?:could not|cannot|can't|was not|wasn't|is not|isn't|no longer|may have|has been|does not|doesn't)"
    r"|\berror 404\b|\b404 (?:error|not found)\b"
    r"|\bplease (?:enable|turn on) (?:javascript|cookies) (?:and|to) (?:reload|continue)"
    r"|\bchecking (?:if the site connection is secure|your browser)\b",
    re.IGNORECASE,
)


def word_count(text: str) -> int:
    return len(_WORD.findall(text))


# Cheap substring test run before the regular expressions (most paragraphs have none of these).
_GATE_HINTS = ("subscri", "member", "cookie", "consent", "privacy", "partners", "data", "continue",
               "keep reading", "limit", "unlock", "full article", "full story", "register", "only")


# Literal words without one of which (lower-cased) each prompt pattern cannot match: every
# alternative of the pattern contains one of them.  The patterns cost tens of microseconds a
# paragraph, a substring test a fraction of one.
_PAYWALL_WORDS = (
    "subscribe", "reading", "for members", "to members", "for premium", "to premium", "already a",
    "you've", "you have", "unlock", "get this", "get the full", "read the full", "register",
)
_CONSENT_WORDS = ("cookie", "data", "privacy", "by clicking", "by selecting", "your consent")


def may_match(text: str, lower: str, words: tuple[str, ...]) -> bool:
    """False only when a case-insensitive pattern needing one of `words` cannot match `text`.

    `lower` is `text.lower()`.  Only ASCII text is ruled out: with IGNORECASE, a few non-ASCII
    characters match ASCII letters of a pattern (the long s, the Kelvin sign) that `lower()` does
    not turn into them.
    """
    return not text.isascii() or any(word in lower for word in words)


def gate_kind(text: str) -> str | None:
    """"paywall" or "consent" when `text` (one short paragraph) reads as a gate prompt, else None."""
    if not text or len(text) > 400:
        return None
    lower = text.lower()
    if not any(hint in lower for hint in _GATE_HINTS):
        return None
    if may_match(text, lower, _PAYWALL_WORDS) and PAYWALL_PROMPT.search(text):
        return "paywall"
    if may_match(text, lower, _CONSENT_WORDS) and CONSENT_PROMPT.search(text):
        return "consent"
    return None


def suspect_reason(previous: Article | None, current: Article) -> str | None:
    """A short reason when `current` looks like a paywall, consent wall or error page, or when its
    body shrank sharply against `previous`; None when it looks like a real version of the article."""
    paragraphs = current.paragraphs
    gates = {p: gate_kind(p) for p in paragraphs}
    content_words = sum(word_count(p) for p, kind in gates.items() if kind is None)
    kinds = {kind for kind in gates.values() if kind}
    # Consent first: a consent wall often offers a subscription too ("pay or accept").
    if "consent" in kinds and content_words <= GATE_MAX_WORDS["consent"]:
        return "looks like a consent wall"
    if "paywall" in kinds and content_words <= GATE_MAX_WORDS["paywall"]:
        return "looks like a paywall teaser"

    body_words = word_count(current.body)
    headline = current.headline or ""
    if body_words <= 120 and (
        ERROR_HEADLINE.search(headline) or any(ERROR_BODY.search(p) for p in paragraphs[:5])
    ):
        return "looks like an error page"

    if previous is not None:
        before = word_count(previous.body)
        if before >= SHRINK_MIN_PREVIOUS_WORDS and body_words < before * SHRINK_RATIO:
            return f"body shrank from {before} to {body_words} words"
    return None


__all__ = ["gate_kind", "suspect_reason", "word_count"]
