"""Text helpers shared by the detectors: minor-edit tests, masking and trimming."""

from __future__ import annotations

import re
from difflib import SequenceMatcher

from monitor.diff import straighten

CONTEXT_CHARS = 300
_WORD = re.compile(r"\w+(?:'\w+)*")
_NOT_ALNUM = re.compile(r"[\W_]+")
# Words that travel with a figure ("about 2,500", "more than 3,000"): a change in them alone is
# part of the figure change, not a separate rewording.
QUALIFIERS = frozenset(
    "about around nearly almost some roughly approximately estimated an a more less fewer than at least "
    "most over under up to just only some as many much per cent percent".split()
)


def words(text: str) -> list[str]:
    """Lower-case words without punctuation."""
    return [w.lower() for w in _WORD.findall(straighten(text))]


def is_minor(before: str, after: str) -> bool:
    """True for spelling, punctuation or case fixes: same letters once case and punctuation go, or
    only a few words that each differ by a character or two (never digits)."""
    if _NOT_ALNUM.sub("", before).lower() == _NOT_ALNUM.sub("", after).lower():
        return True
    a, b = words(before), words(after)
    typos = 0
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        if tag != "replace" or i2 - i1 != j2 - j1:
            return False
        for x, y in zip(a[i1:i2], b[j1:j2]):
            if not _is_typo(x, y):
                return False
            typos += 1
    return 0 < typos <= 3


def _is_typo(x: str, y: str) -> bool:
    if any(c.isdigit() for c in x + y):
        return False
    longest = max(len(x), len(y))
    distance = _distance(x, y)
    swapped = distance == 1 and longest >= 3 and sorted(x) == sorted(y)  # "teh" -> "the"
    return swapped or (distance <= 1 and longest >= 4) or (distance <= 2 and longest >= 7)


def _distance(x: str, y: str) -> int:
    """Edit distance counting an adjacent transposition as one edit (optimal string alignment)."""
    prev2: list[int] = []
    prev = list(range(len(y) + 1))
    for i in range(1, len(x) + 1):
        row = [i] + [0] * len(y)
        for j in range(1, len(y) + 1):
            cost = x[i - 1] != y[j - 1]
            row[j] = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and x[i - 1] == y[j - 2] and x[i - 2] == y[j - 1]:
                row[j] = min(row[j], prev2[j - 2] + 1)
        prev2, prev = prev, row
    return prev[-1]


def mask(text: str, spans: list[tuple[int, int]]) -> str:
    """`text` with the given character spans blanked out."""
    parts, last = [], 0
    for start, end in sorted(spans):
        if start >= last:
            parts.append(text[last:start])
            parts.append(" ")
            last = end
    parts.append(text[last:])
    return "".join(parts)


def reworded(before: str, after: str) -> bool:
    """Whether words other than figure qualifiers differ between two (masked) texts."""
    a, b = words(before), words(after)
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag != "equal" and any(w not in QUALIFIERS for w in a[i1:i2] + b[j1:j2]):
            return True
    return False


def trim(text: str | None, limit: int = CONTEXT_CHARS) -> str:
    """`text` cut at a word boundary to about `limit` characters, with an ellipsis when cut."""
    text = (text or "").strip()
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"
