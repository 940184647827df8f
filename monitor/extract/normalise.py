"""Text normalisation applied to every extracted field, so that re-rendering is never a change.

Rules, in order:

* invisible characters are removed: zero-width space, zero-width non-joiner and joiner, word
  joiner, invisible operators, left-to-right / right-to-left marks, soft hyphen, BOM;
* quote characters are unified: every double-quote variant (“ ” „ ‟ « » ″ ‶ 〝 〞 ＂) becomes the
  straight ``"`` and every single-quote / apostrophe variant (‘ ’ ‚ ‛ ‹ › ′ ‵ ＇) becomes the
  straight ``'``.  The quote *characters* are kept (only their form changes), so later stages can
  still find quotations by looking for ``"`` and ``'``;
* all whitespace, including no-break, thin, narrow no-break and ideographic spaces, tabs and
  newlines, collapses to a single space, and the ends are stripped;
* the result is Unicode NFC.

HTML entities are decoded by the parser before this runs.
"""

from __future__ import annotations

import unicodedata

_INVISIBLE = "\u200b\u200c\u200d\u2060\u2061\u2062\u2063\u2064\ufeff\u00ad\u200e\u200f\u180e"
_DOUBLE_QUOTES = "\u201c\u201d\u201e\u201f\u00ab\u00bb\u2033\u2036\u301d\u301e\uff02"
_SINGLE_QUOTES = "\u2018\u2019\u201a\u201b\u2039\u203a\u2032\u2035\uff07"

_TABLE: dict[int, str | None] = {ord(c): None for c in _INVISIBLE}
_TABLE.update({ord(c): '"' for c in _DOUBLE_QUOTES})
_TABLE.update({ord(c): "'" for c in _SINGLE_QUOTES})


def normalise_text(text: str) -> str:
    """Return `text` with invisible characters removed, quotes unified, whitespace collapsed, NFC."""
    if not text:
        return ""
    if text.isascii():  # every character `_TABLE` changes is non-ASCII, and so is everything NFC changes
        return " ".join(text.split())
    return unicodedata.normalize("NFC", " ".join(_translate(text).split()))


# `_TABLE` as (character, replacement) pairs: no replacement is itself a key, so applying them one
# after another is the same as `str.translate(_TABLE)`.
_REPLACEMENTS = tuple((chr(code), value or "") for code, value in _TABLE.items())


def _translate(text: str) -> str:
    """`text.translate(_TABLE)`, as one `str.replace` per table character the text holds.

    Why: `str.translate` with a dict looks every character up one by one, about ten times slower
    on a non-ASCII paragraph than these few fast substring scans.
    """
    for char, replacement in _REPLACEMENTS:
        if char in text:
            text = text.replace(char, replacement)
    return text
