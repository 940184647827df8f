"""Figures in a sentence: numbers, amounts, percentages, dates and number words, as written."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
_MAGNITUDE = r"(?:\s?(?:million|billion|trillion|thousand|hundred|bn|mn|m|k)\b)?"
_NUMBER = r"\d+(?:[,.]\d+)*"
_WORD_NUMBERS = (
    "two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred "
    "dozen dozens hundreds thousands millions billions tens"
).split()
_FRACTIONS = r"(?:half|third|quarter|fifth|sixth|seventh|eighth|ninth|tenth)"
# "a third day", "a fourth term" are ordinals, not fractions.
_ORDINAL_NOUNS = (
    "day|days|time|times|round|term|straight|consecutive|week|month|year|season|game|match|place|party|"
    "country|person|way|attempt|wave|night|set|goal|phase|quarter|generation|child|son|daughter|stage"
)
_UNIT_WORDS = r"(?:%|\s?percent\b|\s?per\s?cent\b|\s?percentage points?\b)"

_FIGURE = re.compile(
    "|".join(
        [
            # Dates: "March 3", "Jan. 5, 2024", "3 March 2024".
            rf"\b{_MONTH}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?\b(?:,?\s+\d{{4}}\b)?",
            rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH}\b(?:\s+\d{{4}}\b)?",
            # Times: "10:30", "9.15pm", "4 a.m.", "6pm".
            r"\b\d{1,2}(?:[:.]\d{2})?\s?(?:a\.m\.|p\.m\.|am\b|pm\b)|\b\d{1,2}:\d{2}\b",
            # Scores, votes and ranges: "2-1", "62-38", "10–15", "2024-25".
            r"(?<![\w.,-])\d+(?:,\d{3})*\s?[-–]\s?\d+(?:,\d{3})*(?![\w-])",
            # Ordinals and numbers with a unit attached: "89th", "14th-century", "90mph", "41C", "1990s".
            r"(?<![\w.,-])\d+(?:[,.]\d+)*(?:st|nd|rd|th|[a-zA-Z]{1,4})\b(?:-[a-z]+\b)?",
            # Vague magnitudes: "tens of thousands", "hundreds of millions".
            r"\b(?:tens|hundreds|thousands|millions|dozens|scores)\s+of\s+(?:thousands|millions|billions)\b",
            # Money: "$1.2 billion", "€40m", "£3,000", "US$5".
            rf"(?:US|A|C)?[$€£¥]\s?{_NUMBER}{_MAGNITUDE}",
            # Numbers with a percent, magnitude, or a hyphenated unit: "12%", "2.5 million", "30-day".
            rf"(?<![\w.,-]){_NUMBER}(?:{_UNIT_WORDS}|{_MAGNITUDE}(?:-[a-z]+(?:-[a-z]+)?\b)?)",
            # Number words: "three", "three-year-old", "a fifth", "two-thirds", "twenty-five".
            rf"\b(?:a|one|two|three|four|five)[\s-]{_FRACTIONS}s?\b(?!\s+(?:{_ORDINAL_NOUNS})\b)",
            rf"\b(?:{'|'.join(_WORD_NUMBERS)})(?:-(?:{'|'.join(_WORD_NUMBERS[:8])}|one))?"
            rf"(?:\s(?:million|billion|trillion|thousand|hundred)\b)?(?:-[a-z]+(?:-[a-z]+)?)?\b(?:{_UNIT_WORDS})?",
        ]
    ),
    re.IGNORECASE,
)


# "one" as a count ("one of whom", "one soldier"), never "no one", "one another", "one day".
_ONE = re.compile(
    r"(?<!\bno )(?<!\bany )(?<!\bthe )(?<!\bthis )(?<!\bthat )(?<!\beach )(?<!\bevery )\b[Oo]ne\b"
    r"(?![\s-](?:another|day|more|thing|way|time|side|hand|by|of a kind|after)\b)(?!-)"
)


@dataclass(frozen=True)
class Figure:
    """One figure as written in the text and where it stands."""

    value: str
    start: int
    end: int
    weak: bool = False  # "one": a figure only when set against another figure

    @property
    def key(self) -> str:
        """Comparison form: case, spacing and thousands separators ignored ("2,500" is "2500")."""
        return re.sub(r"(?<=\d),(?=\d{3})|\s+", "", self.value.lower())


def find_figures(text: str) -> list[Figure]:
    """Every figure in `text`, in order."""
    figures = []
    for match in _ONE.finditer(text):
        figures.append(Figure(match.group(0), match.start(), match.end(), weak=True))
    for match in _FIGURE.finditer(text):
        value = match.group(0).strip()
        if value:
            start = match.start() + (len(match.group(0)) - len(match.group(0).lstrip()))
            figures.append(Figure(value, start, start + len(value)))
    figures.sort(key=lambda f: f.start)
    kept: list[Figure] = []
    for figure in figures:
        if kept and figure.start < kept[-1].end:
            if kept[-1].weak and not figure.weak:
                kept[-1] = figure
            continue
        kept.append(figure)
    return kept


# --------------------------------------------------------------------------- values and what is counted

_WORD_VALUES = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "dozen": 12,
}
_FRACTION_VALUES = {"half": 2, "third": 3, "quarter": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10}
_SCALE = {
    "thousand": 1e3, "k": 1e3, "million": 1e6, "m": 1e6, "mn": 1e6, "billion": 1e9, "bn": 1e9, "b": 1e9,
    "trillion": 1e12, "tn": 1e12,
}
_COUNTED_STOP = frozenset(
    "a an the and or but of in on at to for from by with since after before as than that which who when while "
    "is are was were be been has have had will would could should may might this these those its their his her "
    "our your my it they he she we i you more less fewer over under about around nearly almost some per cent "
    "percent last next this each every so such said says told added according".split()
)
_BEFORE_VERB = re.compile(
    r"(?:the\s+)?(?P<c>[a-z][a-z-]+(?:\s+[a-z][a-z-]+)?)\s+(?:has\s+|had\s+|have\s+)?"
    r"(?:rose|risen|climbed|jumped|fell|fallen|dropped|reached|stood|stands|was|is|hit|increased|decreased|grew)"
    r"(?:\s+(?:to|at|by))?\s+(?:about\s+|nearly\s+|almost\s+|around\s+|some\s+|at least\s+|more than\s+)?$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class FigureDetails:
    """What a figure change is about: the thing counted, both values as numbers, and the change."""

    counted: str | None
    before_number: float | None
    after_number: float | None
    relative_change: float | None  # (after - before) / before, e.g. 0.2 for 2,500 -> 3,000


def parse_number(value: str | None) -> float | None:
    """The number a figure stands for: "2,500" 2500, "$1.2 billion" 1.2e9, "a fifth" 0.2, "three" 3,
    "12%" 12, "30-day" 30, "twenty-five" 25. None for dates, times, scores, ranges and vague amounts
    ("hundreds of thousands")."""
    if not value:
        return None
    text = value.lower().strip()
    if (re.search(_MONTH.lower(), text) and re.search(r"\d", text)) or re.search(r"\d[:.]\d\d\s?(?:[ap]\.?m)|\d:\d\d", text):
        return None
    if re.search(r"\d\s?[-–]\s?\d", text) or " of " in text:
        return None
    match = re.search(r"(\d+(?:,\d{3})*(?:\.\d+)?)\s*(?:-?\s*(thousand|million|billion|trillion|bn|mn|tn|k|m|b)\b)?", text)
    if match:
        number = float(match.group(1).replace(",", ""))
        return number * _SCALE.get(match.group(2) or "", 1)
    match = re.match(r"(a|one|two|three|four|five)[\s-](half|third|quarter|fifth|sixth|seventh|eighth|ninth|tenth)s?\b", text)
    if match:
        numerator = 1 if match.group(1) in ("a", "one") else _WORD_VALUES[match.group(1)]
        return numerator / _FRACTION_VALUES[match.group(2)]
    words = re.findall(r"[a-z]+", text)
    total = 0.0
    found = False
    for word in words:
        if word in _WORD_VALUES:
            total = total * 100 if word == "hundred" and total else total + _WORD_VALUES[word]
            found = True
        elif word in _SCALE and found:
            total *= _SCALE[word]
        elif found:
            break
    return total if found else None


def counted(sentence: str | None, value: str | None) -> str | None:
    """The thing a figure counts, from the words after it ("2,500 soldier deaths" gives "soldier
    deaths") or, failing that, the subject of a verb before it ("the death toll rose to 3,000")."""
    if not sentence or not value:
        return None
    start = sentence.find(value)
    if start < 0:
        return None
    after = re.findall(r"[A-Za-z][A-Za-z'-]*|[^\sA-Za-z]", sentence[start + len(value) :])
    kept: list[str] = []
    for word in after:
        if not word[0].isalpha() or word.lower() in _COUNTED_STOP or word[0].isupper():
            if word.lower() == "of" and not kept:
                continue  # "hundreds of thousands of people"
            break
        kept.append(word.lower())
        if len(kept) == 3:
            break
    if kept:
        return " ".join(kept)
    match = _BEFORE_VERB.search(sentence[:start])
    if match and match.group("c").split()[-1].lower() not in _COUNTED_STOP:
        words = [w for w in match.group("c").lower().split() if w not in _COUNTED_STOP]
        return " ".join(words) or None
    return None


def figure_details(change: Any) -> FigureDetails:
    """Details of a `figure` Change: what is counted and the relative change when both values are numbers."""
    before_number = parse_number(change.before_value)
    after_number = parse_number(change.after_value)
    thing = counted(change.after, change.after_value) or counted(change.before, change.before_value)
    relative = None
    if before_number is not None and after_number is not None and before_number != 0:
        relative = (after_number - before_number) / before_number
    return FigureDetails(thing, before_number, after_number, relative)
