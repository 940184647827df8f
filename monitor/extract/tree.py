"""The parsed page as plain `lxml.etree` elements, and the two `lxml.html` conveniences we need.

`lxml.html` gives every element proxy a custom class (`HtmlElement`), found through a Python
class lookup each time an element is touched from Python; on a news page that lookup costs more
than parsing itself.  The extractor only ever used `text_content()` and `drop_tree()` from that
class, so it parses with the plain `etree.HTMLParser` (the same libxml2 parser, the same tree) and
uses the functions below instead.
"""

from __future__ import annotations

from lxml import etree

Element = etree._Element

# Same options as before the switch: comments and processing instructions never reach the tree.
PARSER = etree.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True, collect_ids=False)

# XPath string(): all descendant text, without the element's own tail (as `text_content()`).
_STRING = etree.XPath("string()", smart_strings=False)


def text_content(element: Element) -> str:
    """The text of `element` and all its descendants, as `HtmlElement.text_content()` gives it."""
    return _STRING(element)


def attribute_owners(attributes: list) -> list[Element]:
    """The elements owning the attributes an XPath such as `//@class | //@id` returned, each once.

    Why: libxml2 answers `//@class[...]` many times faster than the equivalent `//*[@class ...]`
    (no predicate evaluated against every element of the page), and a union of attribute steps
    comes back in document order with one element's attributes next to each other.
    """
    owners: list[Element] = []
    last = None
    for attribute in attributes:
        owner = attribute.getparent()
        if owner is not last:
            owners.append(owner)
            last = owner
    return owners


def drop_tree(element: Element) -> None:
    """Remove `element` and its subtree but keep its tail text, as `HtmlElement.drop_tree()` does."""
    parent = element.getparent()
    if parent is None:
        return
    tail = element.tail
    if tail:
        previous = element.getprevious()
        if previous is None:
            parent.text = (parent.text or "") + tail
        else:
            previous.tail = (previous.tail or "") + tail
    parent.remove(element)


__all__ = ["PARSER", "Element", "attribute_owners", "drop_tree", "text_content"]
