"""Quotations in a sentence and who is credited with them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from monitor.diff import straighten

_VERBS = (
    "said|says|say|told|tells|added|adds|wrote|writes|stated|states|explained|insisted|warned|argued|noted|"
    "asked|replied|declared|announced|claimed|continued|posted|tweeted|recalled|cautioned|acknowledged|"
    "admitted|conceded|confirmed|stressed|urged|suggested|predicted|concluded|remarked|responded|shouted|"
    "testified|answered|tells|reported"
)
_AUX = r"(?:(?:has|had|have|will|would|later|also|then)\s+)?"
# "..." the spokesman told reporters / "...," said Anna Berg / "...," according to the ministry.
_AFTER_NAME_VERB = re.compile(rf"^[\s,.!?]*(?P<s>[^,;:!?\"]{{1,70}}?)\s+{_AUX}(?:{_VERBS})\b")
_AFTER_VERB_NAME = re.compile(rf"^[\s,.!?]*(?:{_VERBS})\s+(?P<s>[^,;:!?\"]{{1,70}})")
_ACCORDING = re.compile(r"\baccording to\s+(?P<s>[^,;:!?\"]{1,70})", re.IGNORECASE)
# Anna Berg said: "..." / The minister told reporters: "..."
_BEFORE = re.compile(rf"(?P<s>[^,;:!?\"]{{1,70}}?)\s+{_AUX}(?:{_VERBS})\b[^\".;!?]{{0,40}}?[:,]?\s*$")
# ... a "lasting peace" to the region, the ministry said.
_CLOSING = re.compile(rf",\s*(?P<s>[^,;:!?\"]{{1,70}}?)\s+{_AUX}(?:{_VERBS})\b[^,;:!?\"]{{0,40}}[.!?]?$")
_STOP = frozenset(
    "on in at during after before who when while as adding to and but with from last this earlier later "
    "yesterday today tonight".split()
)
_OF = frozenset("of for to at from with".split())
_LEADING = frozenset("the a an his her their its our".split())
PRONOUNS = frozenset("he she they it we i".split())
# British single quotes: an apostrophe opens after a space and closes before one, unlike "don't".
_SINGLE = re.compile(r"(?:(?<=^)|(?<=[\s(\[—–-]))'(?=\S)(?P<q>.+?)(?<=\S)'(?=$|[\s.,;:!?)\]—–-])")


@dataclass(frozen=True)
class Quote:
    """The words inside one pair of quotation marks, where they stand, and the speaker if named."""

    text: str
    start: int
    end: int
    speaker: str | None


def find_quotes(sentence: str) -> list[Quote]:
    """Every quotation in a sentence, in order; an unpaired mark quotes to the sentence's edge."""
    original, sentence = sentence, straighten(sentence)
    spans = _double_spans(sentence)
    for match in _SINGLE.finditer(sentence):
        if not any(s <= match.start() < e for s, e in spans) and len(match.group("q").split()) >= 2:
            spans.append((match.start(), match.end()))
    spans.sort()
    quotes = []
    for start, end in spans:
        text = original[start:end].strip("\"'“”‘’ ").rstrip(",").strip()
        if text:
            speaker = attribute(sentence[:start], sentence[end:])
            quotes.append(Quote(text, start, end, speaker))
    return quotes


def _double_spans(sentence: str) -> list[tuple[int, int]]:
    marks = [m.start() for m in re.finditer('"', sentence)]
    spans = [(marks[k], marks[k + 1] + 1) for k in range(0, len(marks) - 1, 2)]
    if len(marks) % 2:
        lone = marks[-1]
        opening = lone == 0 or sentence[lone - 1].isspace() or sentence[lone - 1] in "([—–-:"
        if opening:
            spans.append((lone, len(sentence)))
        else:
            # A closing mark without an opener: the quote began in an earlier sentence, so the
            # sentence's first mark closes it and the pairs after it shift by one.
            first = marks[0]
            spans = [(0, first + 1)] + [(marks[k], marks[k + 1] + 1) for k in range(1, len(marks) - 1, 2)]
    return spans


def attribute(head: str, tail: str) -> str | None:
    """The speaker credited around a quote: "X said", "said X", "X told reporters", "according to X"."""
    for pattern in (_AFTER_VERB_NAME, _AFTER_NAME_VERB):
        match = pattern.match(tail)
        if match:
            name = _name(match.group("s"))
            if name:
                return name
    match = _ACCORDING.search(tail) or _ACCORDING.search(head)
    if match:
        name = _name(match.group("s"))
        if name:
            return name
    match = _BEFORE.search(head)
    if match:
        return _name(match.group("s"), from_end=True)
    match = _CLOSING.search(tail)
    if match:
        return _name(match.group("s"), from_end=True)
    return None


def _name(phrase: str, from_end: bool = False) -> str | None:
    """A plausible speaker in a phrase: at most six words, a name, a pronoun or "the ..." phrase.

    `from_end` keeps the end of a phrase that stood before the verb: "Later the minister" gives
    "the minister".
    """
    words = phrase.strip().rstrip(".").split()
    if from_end:
        stops = [k for k, word in enumerate(words) if word.lower() in _STOP]
        if stops:
            words = words[stops[-1] + 1 :]
        # The last "the/a/his ..." that does not continue a phrase ("the minister of the interior").
        starts = [
            k for k, word in enumerate(words) if word.lower() in _LEADING and (not k or words[k - 1].lower() not in _OF)
        ]
        if starts:
            words = words[starts[-1] :]
    kept: list[str] = []
    for word in words:
        if kept and word.lower() in _STOP:
            break
        kept.append(word)
    if not kept or len(kept) > 6:
        return None
    first = kept[0]
    if first.lower() in PRONOUNS or first.lower() in _LEADING or first[0].isupper():
        return " ".join(kept).rstrip(".")
    return None
