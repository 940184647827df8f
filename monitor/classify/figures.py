"""Figures in a sentence: numbers, amounts, percentages, dates and number words, as written."""

from __future__ import annotations

import re
from dataclasses import dataclass

_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
_MAGNITUDE = r"(?:\s?(?:million|billion|trillion|thousand|hundred|bn|mn|m|k)\b)?"
_NUMBER = r"\d+(?:[,.]\d+)*"
_WORD_NUMBERS = (
    "two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred "
    "dozen dozens hundreds thousands millions billions"
).split()
_FRACTIONS = r"(?:half|third|quarter|fifth|sixth|seventh|eighth|ninth|tenth)"
_UNIT_WORDS = r"(?:%|\s?percent\b|\s?per\s?cent\b|\s?percentage points?\b)"

_FIGURE = re.compile(
    "|".join(
        [
            # Dates: "March 3", "Jan. 5, 2024", "3 March 2024".
            rf"\b{_MONTH}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?\b(?:,?\s+\d{{4}}\b)?",
            rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH}\b(?:\s+\d{{4}}\b)?",
            # Times: "10:30", "9.15pm".
            r"\b\d{1,2}[:.]\d{2}\s?(?:[ap]\.?m\b\.?)|\b\d{1,2}:\d{2}\b",
            # Money: "$1.2 billion", "€40m", "£3,000", "US$5".
            rf"(?:US|A|C)?[$€£¥]\s?{_NUMBER}{_MAGNITUDE}",
            # Numbers with a percent, magnitude, or a hyphenated unit: "12%", "2.5 million", "30-day".
            rf"(?<![\w.,-]){_NUMBER}(?:{_UNIT_WORDS}|{_MAGNITUDE}(?:-[a-z]+(?:-[a-z]+)?\b)?)",
            # Number words: "three", "three-year-old", "a fifth", "two-thirds", "twenty-five".
            rf"\b(?:a|one|two|three|four|five)[\s-]{_FRACTIONS}s?\b",
            rf"\b(?:{'|'.join(_WORD_NUMBERS)})(?:-(?:{'|'.join(_WORD_NUMBERS[:8])}|one))?"
            rf"(?:\s(?:million|billion|trillion|thousand|hundred)\b)?(?:-[a-z]+(?:-[a-z]+)?)?\b(?:{_UNIT_WORDS})?",
        ]
    ),
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Figure:
    """One figure as written in the text and where it stands."""

    value: str
    start: int
    end: int

    @property
    def key(self) -> str:
        """Comparison form: case, spacing and thousands separators ignored ("2,500" is "2500")."""
        return re.sub(r"(?<=\d),(?=\d{3})|\s+", "", self.value.lower())


def find_figures(text: str) -> list[Figure]:
    """Every figure in `text`, in order."""
    figures = []
    for match in _FIGURE.finditer(text):
        value = match.group(0).strip()
        if value:
            start = match.start() + (len(match.group(0)) - len(match.group(0).lstrip()))
            figures.append(Figure(value, start, start + len(value)))
    return figures
