"""Quotations in a sentence and who is credited with them."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from monitor.diff import straighten

_VERBS = (
    "said|says|say|told|tells|added|adds|wrote|writes|stated|states|explained|insisted|warned|argued|noted|"
    "asked|replied|declared|announced|claimed|continued|posted|tweeted|recalled|cautioned|acknowledged|"
    "admitted|conceded|confirmed|stressed|urged|suggested|predicted|concluded|remarked|responded|shouted|"
    "testified|answered|reported|wrote on X|posted on X"
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
_OF = frozenset("of for to at from with in on by".split())
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
    if not spans and "'" in sentence:
        stripped = sentence.rstrip()
        if re.search(r"[.!?,]'$", stripped) and not re.search(r"(?:^|[\s:(])'(?=[A-Z])", sentence):
            spans.append((0, len(stripped)))  # the end of a single-quoted passage begun earlier
        else:
            opener = re.search(r"(?:^|(?<=[\s:(]))'(?=[A-Z])", sentence)
            if opener and "'" not in sentence[opener.end():].replace("'s ", "").replace("n't", ""):
                spans.append((opener.start(), len(stripped)))
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
    """The speaker credited around a quote: "X said", "said X", "X told reporters", "according to X",
    appositives ("the head of the delegation, Ana Vo, said") and "X, who ..., said"."""
    tail = tail.split('"', 1)[0]
    head = head.rsplit('"', 1)[-1]
    match = _TAIL_VERB_FIRST.match(tail)
    if match:
        segments = _segments(match.group("s"))
        if segments:
            first = segments[0]
            if not _is_name(first) and len(segments) > 1 and _is_name(segments[1]):
                return _clean(segments[1])
            name = _pick([first])
            if name:
                return name
    match = _TAIL_SUBJECT_FIRST.match(tail)
    if match:
        name = _pick(_segments(match.group("s")))
        if name:
            return name
    match = _ACCORDING.search(tail) or _ACCORDING.search(head)
    if match:
        name = _name(match.group("s"))
        if name:
            return name
    name = indirect_speaker(head, at_end=True)
    if name:
        return name
    match = _CLOSING.search(tail)
    if match:
        return _name(match.group("s"), from_end=True)
    return None


_TAIL_VERB_FIRST = re.compile(rf"^[\s,.!?—–-]*(?:{_VERBS})\s+(?P<s>[^;:!?.]{{1,150}})")
_TAIL_SUBJECT_FIRST = re.compile(rf"^[\s,.!?—–-]*(?P<s>[^;:!?]{{1,150}}?)\s+{_AUX}(?:{_VERBS})\b")
# "X said (that) ...", with at most ~12 words between the verb and the quote or sentence end.
_VERB = re.compile(rf"\s+{_AUX}(?:{_VERBS}|called|described|dubbed|branded|labelled|labeled)\b")
_INTRO = frozenset(
    "in at on after before during speaking with from for as asked when while according following later "
    "earlier meanwhile however but and".split()
)
_APPOSITIVE = frozenset("who which that whose where when one aged both".split())
_PARTICLES = frozenset("de da di van von der del la le al bin ibn du dos das y and &".split())


def indirect_speaker(text: str, at_end: bool = False) -> str | None:
    """The subject of a speech verb in `text` ("Det. Supt. Rhona Clegg said the gang ..." gives
    "Det. Supt. Rhona Clegg"); with `at_end`, only a verb near the end (text before a quotation)."""
    text = text.rsplit(";", 1)[-1]
    matches = list(_VERB.finditer(text))
    if at_end:
        matches = [m for m in matches if len(text) - m.end() <= 90 and not _BREAK.search(text, m.end())]
        matches = matches[:1]
    else:
        matches = matches[:1]
    for match in matches:
        subject = text[: match.start()]
        # The clause the verb belongs to: after the last sentence-like break.
        subject = re.split(r"[:;—–]|\.\s+(?=[A-Z\"'])", subject)[-1]
        name = _pick(_segments(subject))
        if name:
            return name
    return None


_BREAK = re.compile(r"[.!?]\s+[A-Z]")


def _segments(phrase: str) -> list[str]:
    return [part.strip() for part in phrase.split(",") if part.strip()]


def _is_name(segment: str) -> bool:
    """A proper name: every word capitalised (particles and initials aside), at most six words."""
    words = segment.replace("'s ", " ").split()
    if not words or len(words) > 6 or words[0].lower() in _LEADING or words[0].lower() in _INTRO:
        return False
    return all(w[0].isupper() or w.lower() in _PARTICLES or not w[0].isalpha() for w in words)


def _clean(name: str) -> str:
    return name.strip().rstrip(".,") if not name.endswith(("Co.", "Inc.", "Jr.", "Sr.")) else name.strip()


def _pick(segments: list[str]) -> str | None:
    """The speaker among the comma-separated pieces of a subject: a name where there is one,
    skipping relative clauses and introductory phrases."""
    kept = []
    for segment in segments:
        first = segment.split()[0].lower()
        if first in _APPOSITIVE or first[0].isdigit():
            continue
        if first in _INTRO and kept == [] and len(segments) > 1:
            continue
        kept.append(segment)
    if not kept:
        return None
    names = [s for s in kept if _is_name(s)]
    if names:
        return _clean(names[-1])
    segment = kept[-1]
    words = segment.split()
    # "Prof. Lukas Merriman of the University of Tallow" -> "Prof. Lukas Merriman"
    lead = 0
    while lead < len(words) and (words[lead][0].isupper() or words[lead].lower() in _PARTICLES):
        lead += 1
    if lead >= 2 and lead < len(words) and words[lead].lower() in _OF and words[0].lower() not in _LEADING:
        return _clean(" ".join(words[:lead]))
    # "Rovers manager Gil Santos" -> "Gil Santos"; not "a spokesman for the Northern Front".
    trail = len(words)
    while trail > 0 and (words[trail - 1][0].isupper() or words[trail - 1].lower() in _PARTICLES):
        trail -= 1
    if 0 < trail < len(words) and len(words) - trail >= 2 and words[trail - 1].lower() not in _OF | _LEADING:
        return _clean(" ".join(words[trail:]))
    if len(words) <= 7 and (words[0][0].isupper() or words[0].lower() in _LEADING) and words[0].lower() not in _INTRO:
        return _clean(segment)
    return _name(segment, from_end=True)


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


def is_pronoun(speaker: str | None) -> bool:
    return bool(speaker) and speaker.lower() in PRONOUNS


def resolve_quotes(sentences: list[str], last: str | None) -> tuple[list[list[Quote]], str | None]:
    """The quotations of a paragraph's sentences with speakers resolved, and the last named speaker after it.

    `last` is the last named speaker before the paragraph. A pronoun ("she said") resolves to the
    last named speaker; a quotation that opens its sentence with no attribution belongs to the
    speaker of another quotation in the same paragraph (the one before it, else the one after), and
    failing that, when it opens the paragraph (a quote running on from the paragraph before) or stands
    alone, to the last named speaker. Indirect speech ("Rhona Clegg said the gang ...") names a
    speaker too.
    """
    found = []
    inside = False  # within a quotation opened in an earlier sentence and not yet closed
    for sentence in sentences:
        quotes = find_quotes(sentence)
        straight = straighten(sentence)
        if inside and '"' not in straight and sentence.strip():
            quotes = [Quote(sentence.strip().strip("'\"“”‘’ ").rstrip(",").strip(), 0, len(sentence), None)]
        elif '"' in straight:
            marks = straight.count('"')
            closes_first = inside
            inside = (marks % 2 == 1) != closes_first
        found.append(quotes)
    resolved: list[list[Quote]] = []
    for k, quotes in enumerate(found):
        out = []
        for quote in quotes:
            speaker = quote.speaker
            if is_pronoun(speaker):
                speaker = last or speaker
            elif speaker is None and quote.start <= 1:
                earlier = [q.speaker for qs in resolved for q in qs if q.speaker]
                later = [q.speaker for qs in found[k + 1 :] for q in qs if q.speaker]
                if earlier:
                    speaker = earlier[-1]
                elif later:
                    speaker = later[0] if not is_pronoun(later[0]) else (last or later[0])
                else:
                    speaker = last
            if speaker and not is_pronoun(speaker):
                last = speaker
            out.append(replace(quote, speaker=speaker))
        resolved.append(out)
        if not quotes:
            speaker = indirect_speaker(sentences[k])
            if speaker and not is_pronoun(speaker):
                last = speaker
    return resolved, last
