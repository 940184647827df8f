"""Site rules: pick the rule for a URL and run its CSS selectors (compiled once, cached)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from urllib.parse import urlsplit

from lxml.cssselect import CSSSelector

from monitor.errors import ExtractionError
from monitor.extract.tree import Element, drop_tree
from monitor.models import SiteRule


@lru_cache(maxsize=512)
def compile_selector(selector: str) -> CSSSelector:
    try:
        return CSSSelector(selector, translator="html")
    except Exception as exc:  # cssselect raises its own SelectorError / ExpressionError
        raise ExtractionError(f"bad CSS selector {selector!r}: {exc}") from exc


def select(root: Element, selector: str) -> list[Element]:
    return [e for e in compile_selector(selector)(root) if isinstance(e.tag, str)]


def rule_for(url: str | None, rules: Sequence[SiteRule]) -> SiteRule | None:
    """The first rule whose hosts match the URL's host (a `www.` prefix is also tried bare)."""
    if not rules or not url:
        return None
    host = (urlsplit(url).hostname or "").lower()
    if not host:
        return None
    bare = host[4:] if host.startswith("www.") else host
    for rule in rules:
        if rule.matches(host) or rule.matches(bare):
            return rule
    return None


def drop(root: Element, selectors: Sequence[str]) -> None:
    """Remove every element matched by the rule's `drop` selectors (their tails are kept)."""
    for selector in selectors:
        for element in select(root, selector):
            if element.getparent() is not None:
                drop_tree(element)


__all__ = ["compile_selector", "drop", "rule_for", "select"]
