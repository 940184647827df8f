"""Turn an `ArticleDiff` into `Change`s a reader cares about.

Kinds, in the order they are reported: `headline`, `standfirst`, `byline` (one each, whole field),
then in reading order per paragraph: `move`, and per sentence `correction`, `quote`, `figure`,
`text` and `minor`.

One edited sentence may give several changes but never redundant ones:
    - a correction note (a sentence or paragraph opening "Correction:", "An earlier version of this
      article ...", ...) gives one `correction` and nothing else;
    - a spelling, punctuation or case fix gives one `minor`;
    - otherwise each reworded, added or removed quotation gives a `quote`, each changed, added or
      removed figure a `figure`, and a `text` change is added only when words outside the quotes and
      figures (and figure qualifiers such as "about") changed too. A change that is only minor beside
      a substantive one is dropped.
An added or removed sentence is reported by its quotations and by the figures outside them; only a
sentence with neither is `text`. An added or removed paragraph gives one `text` change for the whole
paragraph when none of its sentences carries a quotation, figure or correction, and otherwise only
those. A pure paragraph split or merge (all sentences equal) gives no change.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from difflib import SequenceMatcher
from dataclasses import replace
from typing import TypeVar

from monitor.classify.corrections import is_correction
from monitor.classify.figures import Figure, figure_details, find_figures
from monitor.classify.quotes import Quote, find_quotes, resolve_quotes
from monitor.classify.text import is_minor, mask, reworded, trim, words
from monitor.diff import split_sentences, straighten
from monitor.models import Article, ArticleDiff, Change, FieldEdit, ParagraphEdit, SentenceEdit

__all__ = ["classify", "is_stealth", "link_corrections", "summarize"]

T = TypeVar("T")


def classify(diff: ArticleDiff) -> list[Change]:
    """The changes in `diff`: fields first, then the body in reading order of the new version."""
    changes = [_field_change(edit) for edit in diff.fields]
    speakers = _Speakers()
    for paragraph in diff.paragraphs:
        changes.extend(_paragraph_changes(paragraph, speakers))
    changes = [_with_figure_details(change) if change.kind == "figure" else change for change in changes]
    for note, explained in link_corrections(changes).items():
        changes[note] = replace(changes[note], explains=explained)
    return changes


def _with_figure_details(change: Change) -> Change:
    details = figure_details(change)
    return replace(change, counted=details.counted, relative_change=details.relative_change)


class _Speakers:
    """The last named speaker in reading order, and the quotations of the paragraph being read with
    their speakers resolved (see `quotes.resolve_quotes`).

    Unchanged paragraphs are only queued, and scanned when a changed paragraph needs the speaker,
    so that the many unchanged paragraphs of an article cost little.
    """

    def __init__(self) -> None:
        self.last: str | None = None
        self.pending: list[str] = []
        self.quotes: dict[str, list[Quote]] = {}

    def read(self, text: str | None) -> None:
        if text:
            self.pending.append(text)

    def enter(self, paragraph: ParagraphEdit) -> None:
        """Resolve the quotations of both sides of a changed paragraph."""
        for text in self.pending:
            _, self.last = resolve_quotes(split_sentences(text), self.last)
        self.pending.clear()
        self.quotes = {}
        last = self.last
        for text in (paragraph.before, paragraph.after):
            if text:
                sentences = split_sentences(text)
                resolved, end = resolve_quotes(sentences, self.last)
                self.quotes.update(zip(sentences, resolved))
                last = end
        self.last = last

    def find(self, sentence: str) -> list[Quote]:
        found = self.quotes.get(sentence)
        return found if found is not None else find_quotes(sentence)


def _action(before: str | None, after: str | None) -> str:
    if not before:
        return "added"
    if not after:
        return "removed"
    return "changed"


def _field_change(edit: FieldEdit) -> Change:
    action = _action(edit.before, edit.after)
    return Change(edit.field, action, edit.before, edit.after, trim(edit.after or edit.before))


def _paragraph_changes(paragraph: ParagraphEdit, speakers: _Speakers) -> list[Change]:
    if paragraph.action == "equal":
        speakers.read(paragraph.after)
        return []
    changes: list[Change] = []
    if paragraph.action == "moved":
        changes.append(
            Change("move", "changed", paragraph.before, paragraph.after, trim(paragraph.after or paragraph.before))
        )
    edited = [s for s in paragraph.sentences if s.action != "equal"]
    if edited and (is_correction(paragraph.before) or is_correction(paragraph.after)):
        before = paragraph.before if is_correction(paragraph.before) else None
        after = paragraph.after if is_correction(paragraph.after) else None
        changes.append(Change("correction", _action(before, after), before, after, trim(after or before)))
        return changes
    speakers.enter(paragraph)
    per_sentence = [_sentence_changes(sentence, speakers) for sentence in paragraph.sentences]
    whole = paragraph.action in ("added", "removed")
    if whole and all(c.kind == "text" for found in per_sentence for c in found):
        context = trim(paragraph.after or paragraph.before)
        changes.append(Change("text", paragraph.action, paragraph.before, paragraph.after, context))
    else:
        changes.extend(c for found in per_sentence for c in found if not (whole and c.kind == "text"))
    return changes


def _sentence_changes(edit: SentenceEdit, speakers: _Speakers) -> list[Change]:
    if edit.action == "equal":
        return []
    before, after = edit.before, edit.after
    context = trim(after or before)
    if is_correction(before) or is_correction(after):
        return [Change("correction", _action(before, after), before, after, context)]
    if before is None or after is None:
        return _one_sided(edit.action, before or after or "", speakers)
    figures_b, figures_a = find_figures(before), find_figures(after)
    if is_minor(before, after) and [f.key for f in figures_b] == [f.key for f in figures_a]:
        return [Change("minor", "changed", before, after, context)]

    quotes_b, quotes_a = speakers.find(before), speakers.find(after)
    found: list[tuple[int, Change]] = []
    minor = False
    gone: list[tuple[int, int]] = []  # spans of quotes added or removed, whose figures they carry
    new: list[tuple[int, int]] = []
    # A quotation that differs only in a figure's value is reported by that figure alone.
    for qb, qa in _align(quotes_b, quotes_a, lambda q: " ".join(words(_mask_figures(q.text)))):
        if qb and qa:
            if is_minor(qb.text, qa.text) and [f.key for f in find_figures(qb.text)] == [
                f.key for f in find_figures(qa.text)
            ]:
                minor = True
                continue
            found.append((qa.start, _quote("changed", qb, qa, context, speakers)))
        elif qa:
            new.append((qa.start, qa.end))
            found.append((qa.start, _quote("added", None, qa, context, speakers)))
        elif qb:
            gone.append((qb.start, qb.end))
            found.append((qb.start, _quote("removed", qb, None, context, speakers)))
    # A figure added to or dropped from a quotation is part of the quotation's change; a figure
    # whose value changed is reported too, inside a quotation or not.
    new += [(q.start, q.end) for q in quotes_a]
    gone += [(q.start, q.end) for q in quotes_b]
    for fb, fa in _align(figures_b, figures_a, lambda f: f.key):
        if (fa and not fb and (_inside(fa, new) or fa.weak)) or (fb and not fa and (_inside(fb, gone) or fb.weak)):
            continue
        position = fa.start if fa else fb.start if fb else 0
        found.append(
            (
                position,
                Change(
                    "figure", _action(fb and fb.value, fa and fa.value), before, after, context,
                    before_value=fb.value if fb else None, after_value=fa.value if fa else None,
                ),
            )
        )
    changes = [change for _, change in sorted(found, key=lambda item: item[0])]

    rest_b = mask(before, [(q.start, q.end) for q in quotes_b] + [_unit_span(before, f) for f in figures_b])
    rest_a = mask(after, [(q.start, q.end) for q in quotes_a] + [_unit_span(after, f) for f in figures_a])
    if reworded(rest_b, rest_a):
        if is_minor(rest_b, rest_a):
            minor = True
        else:
            changes.append(Change("text", "changed", before, after, context))
    if not changes:
        # Something changed that no detector names (a qualifier, word order): say so plainly.
        kind = "minor" if minor or is_minor(before, after) else "text"
        changes.append(Change(kind, "changed", before, after, context))
    return changes


def _one_sided(action: str, sentence: str, speakers: _Speakers) -> list[Change]:
    """An added or removed sentence: its quotations and the figures outside them, else `text`."""
    before, after = (None, sentence) if action == "added" else (sentence, None)
    context = trim(sentence)
    quotes = speakers.find(sentence)
    found: list[tuple[int, Change]] = [
        (q.start, _quote(action, q if before else None, q if after else None, context, speakers)) for q in quotes
    ]
    spans = [(q.start, q.end) for q in quotes]
    for figure in find_figures(sentence):
        if not _inside(figure, spans) and not figure.weak:
            value_b, value_a = (None, figure.value) if action == "added" else (figure.value, None)
            change = Change("figure", action, before, after, context, before_value=value_b, after_value=value_a)
            found.append((figure.start, change))
    if not found:
        return [Change("text", action, before, after, context)]
    return [change for _, change in sorted(found, key=lambda item: item[0])]


def _quote(action: str, before: Quote | None, after: Quote | None, context: str, speakers: _Speakers) -> Change:
    quote = after or before
    assert quote is not None
    return Change("quote", action, before and before.text, after and after.text, context, speaker=quote.speaker)


def _align(
    before: list[T], after: list[T], key: Callable[[T], str], keep_equal: bool = False
) -> list[tuple[T | None, T | None]]:
    """Order-preserving pairs of items with equal keys skipped (or kept); unequal runs pair up by position."""
    pairs: list[tuple[T | None, T | None]] = []
    matcher = SequenceMatcher(None, [key(x) for x in before], [key(x) for x in after], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            if keep_equal:
                pairs.extend(zip(before[i1:i2], after[j1:j2]))
            continue
        olds, news = before[i1:i2], after[j1:j2]
        common = min(len(olds), len(news))
        pairs.extend(zip(olds[:common], news[:common]))
        pairs.extend((x, None) for x in olds[common:])
        pairs.extend((None, y) for y in news[common:])
    return pairs


def _mask_figures(text: str) -> str:
    return mask(text, [(f.start, f.end) for f in find_figures(text)])


def _inside(figure: Figure, spans: list[tuple[int, int]]) -> bool:
    return any(start <= figure.start and figure.end <= end for start, end in spans)


# --------------------------------------------------------------------------- stealth edits and summary

_SUBSTANTIVE = frozenset({"headline", "quote", "figure", "text"})


def is_stealth(changes: Sequence[Change], old: Article, new: Article) -> bool:
    """A stealth edit: a headline, quote, figure or text change, while `dateModified` stayed the same
    and no visible correction, clarification, update or editor's note was added or changed.

    A missing `modified` on both sides counts as unchanged (the page shows no date to update).
    """
    if not any(change.kind in _SUBSTANTIVE for change in changes):
        return False
    if (old.modified or None) != (new.modified or None):
        return False
    return not any(change.kind == "correction" and change.action in ("added", "changed") for change in changes)


_FIELD_WORDS = {"changed": "rewritten", "added": "added", "removed": "removed"}
_SUMMARY_FIGURES = 3


def summarize(changes: Sequence[Change]) -> str:
    """One line for a list of changes, most important first, e.g.
    "headline rewritten; 1 quote changed; figure 2,500 → 3,000; 2 sentences added".

    Order: headline, standfirst, byline, corrections, quotes, figures, text, moves, minor edits.
    Changed figures with both values are spelt out (the first three); the others are counted.
    Text changes are counted in sentences. No changes gives "no changes".
    """
    parts: list[str] = []
    for kind in ("headline", "standfirst", "byline"):
        for change in changes:
            if change.kind == kind:
                parts.append(f"{kind} {_FIELD_WORDS.get(change.action, change.action)}")
    for kind, noun in (("correction", "note"), ("quote", "quote")):
        counts = _count(change.action for change in changes if change.kind == kind)
        for action, n in counts:
            label = "correction note" if kind == "correction" else noun
            parts.append(f"{n} {label}{'s' if n > 1 else ''} {action}")
    figures = [c for c in changes if c.kind == "figure"]
    spelt = [c for c in figures if c.action == "changed" and c.before_value and c.after_value][:_SUMMARY_FIGURES]
    parts.extend(f"figure {c.before_value} → {c.after_value}" for c in spelt)
    for action, n in _count(c.action for c in figures if c not in spelt):
        parts.append(f"{n} {'more ' if spelt and action == 'changed' else ''}figure{'s' if n > 1 else ''} {action}")
    text: dict[str, int] = {}
    for change in changes:
        if change.kind == "text":
            sentences = 1 if change.action == "changed" else len(split_sentences(change.after or change.before or "")) or 1
            text[change.action] = text.get(change.action, 0) + sentences
    for action in ("changed", "added", "removed"):
        if action in text:
            n = text[action]
            parts.append(f"{n} sentence{'s' if n > 1 else ''} {action}")
    moves = sum(1 for c in changes if c.kind == "move")
    if moves:
        parts.append(f"{moves} paragraph{'s' if moves > 1 else ''} moved")
    minor = sum(1 for c in changes if c.kind == "minor")
    if minor:
        parts.append(f"{minor} minor edit{'s' if minor > 1 else ''}")
    return "; ".join(parts) if parts else "no changes"


def _count(actions) -> list[tuple[str, int]]:
    counts: dict[str, int] = {}
    for action in actions:
        counts[action] = counts.get(action, 0) + 1
    return [(a, counts[a]) for a in ("changed", "added", "removed") if a in counts]


# A unit or counted period right after a figure travels with it: "18 months" -> "two years" is one
# figure change, not a figure and a rewording.
_UNIT_AFTER = re.compile(
    r"\s*(?:of\s+)?(?:pounds|dollars|euros|people|seconds?|minutes?|hours?|days?|weeks?|months?|years?|decades?|centuries|century|"
    r"km|kilometres?|kilometers?|miles?|metres?|meters?|feet|tonnes?|tons?|kg|kilograms?|litres?|liters?)\b",
    re.IGNORECASE,
)


def _unit_span(text: str, figure: Figure) -> tuple[int, int]:
    match = _UNIT_AFTER.match(text, figure.end)
    return (figure.start, match.end() if match else figure.end)


# --------------------------------------------------------------------------- corrections and what they explain

_CORRECTION_WORDS = re.compile(r"[A-Za-z][A-Za-z'-]+|\d[\d,.]*")
_BOILERPLATE = frozenset(
    "correction clarification update updated editor's note an a the earlier previous version of this article story "
    "report post piece has been was is amended corrected changed revised to said misstated misspelled misidentified "
    "incorrectly wrongly gave wrong it its in on and or not but that which who he she they we were are had have "
    "originally previously".split()
)


def link_corrections(changes: Sequence[Change]) -> dict[int, int]:
    """For each added or changed correction note in `changes`, the index of the change it explains.

    Keyed and valued by index into `changes`. The explained change is the non-correction change
    whose changed words share the most with the note's own words (beyond correction boilerplate
    such as "an earlier version of this article misstated"): "misstated the county" finds the
    sentence whose county changed; a figure or name quoted in the note finds the change that carries
    it. Notes with no overlap are left out. A note explains at most one change; several notes may
    point to the same change.
    """
    links: dict[int, int] = {}
    for k, note in enumerate(changes):
        if note.kind != "correction" or note.action == "removed":
            continue
        terms = _terms(note.after or note.before or "")
        if not terms:
            continue
        best, best_score = None, 0.0
        for j, change in enumerate(changes):
            if change.kind in ("correction", "move"):
                continue
            score = _overlap(terms, change)
            if score > best_score:
                best, best_score = j, score
        if best is not None:
            links[k] = best
    return links


def _terms(text: str) -> set[str]:
    return {w.lower().strip(".,") for w in _CORRECTION_WORDS.findall(straighten(text))} - _BOILERPLATE


def _overlap(terms: set[str], change: Change) -> float:
    """Shared words, counting words that changed (present on one side only) three times."""
    values = {v.lower() for v in (change.before_value, change.after_value) if v}
    if values & terms or any(v in " ".join(terms) for v in values if any(c.isdigit() for c in v)):
        return 10.0
    before, after = _terms(change.before or ""), _terms(change.after or "")
    changed = before ^ after
    return 3.0 * len(terms & changed) + 1.0 * len(terms & (before & after)) / 4
